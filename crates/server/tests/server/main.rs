//! The server as a client sees it: `app()` called without a socket (and once over a real one)
//! with requests over real archives built by the engine from small synthetic captures in a
//! temporary directory.

mod support;

mod api;
mod connections;
mod copies;
mod entities;
mod evidence;
mod feeds;
mod narratives;
mod network;
mod network_pages;
mod pages;
mod serve;
mod team;
