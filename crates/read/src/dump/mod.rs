//! Message dumps: JSON or JSON Lines lists of messages as scraping scripts write them.
