//! `tgscope user add|list|disable|enable|password|token`: the team's accounts and API tokens,
//! on the archive in PostgreSQL (`--database`). Passwords are read from stdin
//! (`--password-stdin`), never from an argument; an API token's secret is printed once, when it
//! is created. Every change is written to the audit log with the actor `cli:<system user>`.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use tgscope_engine::archive::{Account, ApiToken, Role};
use tgscope_engine::team::{MIN_PASSWORD_CHARS, TeamError};
use tgscope_engine::{Actor, Team};

use crate::terminal::ForPeople;

/// Arguments of `user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: UserCommand,
}

/// A role as the command line names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Browse, search, export.
    Reader,
    /// Also ingest uploads, narratives.
    Editor,
    /// Also accounts and the audit log.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Reader => Role::Reader,
            RoleArg::Editor => Role::Editor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// Output formats of the lists.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFmt {
    /// A table for people.
    Table,
    /// JSON.
    Json,
}

/// The `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account; its password is read from stdin (`--password-stdin`), at least 12
    /// characters.
    Add {
        /// The sign-in name (no spaces).
        #[arg(value_name = "NAME")]
        name: String,
        /// reader: browse, search, export; editor: also ingest and narratives; admin: also
        /// accounts and the audit log.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from stdin (one line; a trailing newline is dropped).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ListFmt,
    },
    /// Disable an account: it can no longer sign in, and its sessions and API tokens stop
    /// working at once.
    Disable {
        /// The account's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Set an account's password, read from stdin (`--password-stdin`); its sessions end.
    Password {
        /// The account's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// Read the password from stdin (one line; a trailing newline is dropped).
        #[arg(long)]
        password_stdin: bool,
    },
    /// API tokens of an account (`Authorization: Bearer <token>` on the API).
    Token {
        /// What to do.
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// The `user token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for an account and print its secret (shown this once only).
    Create {
        /// The account's name.
        #[arg(value_name = "NAME")]
        account: String,
        /// What the token is for ("nightly export").
        #[arg(long = "name", value_name = "LABEL")]
        label: String,
    },
    /// List an account's API tokens (never their secrets).
    List {
        /// The account's name.
        #[arg(value_name = "NAME")]
        account: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ListFmt,
    },
    /// Revoke an API token: it stops working at once.
    Revoke {
        /// The account's name.
        #[arg(value_name = "NAME")]
        account: String,
        /// The token's id (`tgscope user token list NAME`).
        #[arg(value_name = "ID")]
        id: i64,
    },
}

/// Who the audit log says acted: `cli:<system user>`.
fn actor() -> Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    Actor::cli(&user)
}

/// Writes a command that changes or exports the team's archive to its audit log, before it
/// runs (as the server does, a command whose entry cannot be written does not run): `action`
/// (`cli.ingest`, `cli.export`, ...), by `cli:<system user>`, with the command line as given
/// (the database's password hidden). Nothing is written for the embedded archive, which has no
/// accounts.
pub fn audit_command(dir: &Path, action: &str) -> anyhow::Result<()> {
    let Some(url) = crate::backend::database() else {
        return Ok(());
    };
    let archive = tgscope_postgres::PgArchive::open(url, dir)
        .context("opening the team's archive in PostgreSQL")?;
    let mut hide_next = false;
    let command: Vec<String> = std::env::args()
        .skip(1)
        .map(|arg| {
            let shown = if hide_next {
                crate::backend::redacted(&arg)
            } else if let Some(value) = arg.strip_prefix("--database=") {
                format!("--database={}", crate::backend::redacted(value))
            } else {
                arg.clone()
            };
            hide_next = arg == "--database";
            shown
        })
        .collect();
    Team::over(&archive)
        .audit(&actor(), action, serde_json::json!({ "command": command }))
        .with_context(|| {
            format!("{action}: the audit log could not be written, so the command did not run")
        })?;
    Ok(())
}

/// The password from stdin: one line, its line ending dropped. Refused without
/// `--password-stdin`, so that a password is never typed where it would be shown or kept.
fn read_password(password_stdin: bool) -> anyhow::Result<String> {
    if !password_stdin {
        anyhow::bail!(
            "the password is read from stdin: add --password-stdin (for example `printf '%s' \
             \"$PASSWORD\" | tgscope user add NAME --role reader --password-stdin`); it is never \
             taken from an argument"
        );
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!(
            "tgscope: type the password (at least {MIN_PASSWORD_CHARS} characters; it is shown \
             as you type), then Enter and Ctrl-D"
        );
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .context("reading the password from stdin")?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok(line.to_string())
}

/// Runs a `user` command on the archive in PostgreSQL at `url` (with `dir` as this machine's
/// folder); `url` is `None` without `--database`, which is an error.
pub fn run(
    url: Option<&str>,
    dir: &Path,
    args: UserArgs,
    out: &mut dyn Write,
    quiet: bool,
) -> anyhow::Result<()> {
    let Some(url) = url else {
        return Err(TeamError::NotTeam.into());
    };
    // The password is read before connecting: a refusal costs no connection.
    let password = match &args.command {
        UserCommand::Add { password_stdin, .. } | UserCommand::Password { password_stdin, .. } => {
            Some(read_password(*password_stdin)?)
        }
        _ => None,
    };
    let archive = tgscope_postgres::PgArchive::open(url, dir)
        .context("opening the team's archive in PostgreSQL")?;
    let team = Team::over(&archive);
    let actor = actor();
    match args.command {
        UserCommand::Add { name, role, .. } => {
            let account =
                team.add_user(&actor, &name, role.into(), &password.unwrap_or_default())?;
            if !quiet {
                writeln!(
                    out,
                    "added {} ({}), account id {}",
                    account.name, account.role, account.id
                )?;
            }
        }
        UserCommand::List { format } => {
            let accounts = team.list_users()?;
            match format {
                ListFmt::Json => crate::output::json(out, &accounts)?,
                ListFmt::Table => accounts_table(&mut ForPeople::new(out), &accounts)?,
            }
        }
        UserCommand::Disable { name } => {
            let account = team.disable_user(&actor, &name)?;
            if !quiet {
                writeln!(
                    out,
                    "disabled {}: its sessions ended, its API tokens no longer work",
                    account.name
                )?;
            }
        }
        UserCommand::Enable { name } => {
            let account = team.enable_user(&actor, &name)?;
            if !quiet {
                writeln!(out, "enabled {}", account.name)?;
            }
        }
        UserCommand::Password { name, .. } => {
            team.set_password(&actor, &name, &password.unwrap_or_default())?;
            if !quiet {
                writeln!(out, "set the password of {name}; its sessions ended")?;
            }
        }
        UserCommand::Token { command } => match command {
            TokenCommand::Create { account, label } => {
                let account = team.user(&account)?;
                let (token, secret) = team.create_token(&actor, &account, &label)?;
                // The secret alone on stdout (for scripts); the rest on stderr.
                writeln!(out, "{secret}")?;
                if !quiet {
                    eprintln!(
                        "tgscope: API token {} ({:?}) for {}: the secret above is shown only \
                         now; send it as `Authorization: Bearer <secret>`",
                        token.id, token.name, account.name
                    );
                }
            }
            TokenCommand::List { account, format } => {
                let account = team.user(&account)?;
                let tokens = team.list_tokens(&account)?;
                match format {
                    ListFmt::Json => crate::output::json(out, &tokens)?,
                    ListFmt::Table => tokens_table(&mut ForPeople::new(out), &tokens)?,
                }
            }
            TokenCommand::Revoke { account, id } => {
                let account = team.user(&account)?;
                team.revoke_token(&actor, &account, id)?;
                if !quiet {
                    writeln!(out, "revoked API token {id} of {}", account.name)?;
                }
            }
        },
    }
    Ok(())
}

fn accounts_table(out: &mut dyn Write, accounts: &[Account]) -> anyhow::Result<()> {
    if accounts.is_empty() {
        writeln!(
            out,
            "no accounts yet: `tgscope user add NAME --role admin --password-stdin` adds one"
        )?;
        return Ok(());
    }
    let width = accounts
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        out,
        "{:>5}  {:<width$}  {:<6}  {:<8}  created",
        "id", "name", "role", "state"
    )?;
    for a in accounts {
        writeln!(
            out,
            "{:>5}  {:<width$}  {:<6}  {:<8}  {}",
            a.id,
            a.name,
            a.role.as_str(),
            if a.disabled { "disabled" } else { "enabled" },
            a.created_at
        )?;
    }
    Ok(())
}

fn tokens_table(out: &mut dyn Write, tokens: &[ApiToken]) -> anyhow::Result<()> {
    if tokens.is_empty() {
        writeln!(out, "no API tokens")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {:<20}  {:<20}  {:<20}  name",
        "id", "created", "last used", "revoked"
    )?;
    for t in tokens {
        writeln!(
            out,
            "{:>5}  {:<20}  {:<20}  {:<20}  {}",
            t.id,
            t.created_at,
            t.last_used_at.as_deref().unwrap_or("never"),
            t.revoked_at.as_deref().unwrap_or("-"),
            t.name
        )?;
    }
    Ok(())
}
