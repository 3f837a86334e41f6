//! [`TracedDatabase`]: what differs between the databases, as the Python tracer names it.

use ddtrace_core::Str;
use sqlx::{Connection, Database};

/// Where a pool connects: the tags `db.name`, `db.user`, `out.host` and
/// `network.destination.port`, read once from the pool's connect options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// `db.name`: the database (schema) name.
    pub db_name: Option<Str>,
    /// `db.user`: the user the connection logs in as.
    pub user: Option<Str>,
    /// `out.host`: the server's host name or address (or the Unix socket's path).
    pub host: Option<Str>,
    /// `network.destination.port`.
    pub port: Option<u16>,
}

mod sealed {
    pub trait Sealed {}
}

/// A database this crate traces: PostgreSQL, MySQL/MariaDB or SQLite, each behind the feature
/// of the same name. Sealed: the names below are the Python tracer's and are not meant to vary.
pub trait TracedDatabase: Database + sealed::Sealed {
    /// `db.system`: `postgresql`, `mysql` or `sqlite`.
    const SYSTEM: &'static str;
    /// The span name prefix under schema v0 (`postgres` gives `postgres.query`), also the
    /// integration's default service.
    const PREFIX_V0: &'static str;
    /// The span name prefix under schema v1 (`{db.system}.query`).
    const PREFIX_V1: &'static str;
    /// `error.type` of errors the database server reported.
    const DATABASE_ERROR_TYPE: &'static str;
    /// Whether Database Monitoring comments are injected. The Python tracer injects them for
    /// PostgreSQL and MySQL drivers only; DBM has no SQLite support.
    const SUPPORTS_DBM: bool;

    /// The tags describing where `options` connects.
    fn endpoint(options: &<Self::Connection as Connection>::Options) -> Endpoint;

    /// Rows a statement changed (or, for PostgreSQL, also returned), from its result.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn non_empty(s: &str) -> Option<Str> {
    (!s.is_empty()).then(|| Str::shared(s))
}

/// A server's endpoint from its connect options. Over a Unix socket the host is the socket's
/// path, as psycopg reports it.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn server_endpoint(
    socket: Option<&std::path::PathBuf>,
    host: &str,
    database: Option<&str>,
    user: &str,
    port: u16,
) -> Endpoint {
    Endpoint {
        db_name: database.and_then(non_empty),
        user: non_empty(user),
        host: match socket {
            Some(path) => non_empty(&path.to_string_lossy()),
            None => non_empty(host),
        },
        port: Some(port),
    }
}

#[cfg(feature = "postgres")]
impl sealed::Sealed for sqlx::Postgres {}

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
impl TracedDatabase for sqlx::Postgres {
    const SYSTEM: &'static str = "postgresql";
    const PREFIX_V0: &'static str = "postgres";
    const PREFIX_V1: &'static str = "postgresql";
    const DATABASE_ERROR_TYPE: &'static str = "sqlx_postgres::PgDatabaseError";
    const SUPPORTS_DBM: bool = true;

    fn endpoint(o: &sqlx::postgres::PgConnectOptions) -> Endpoint {
        server_endpoint(
            o.get_socket(),
            o.get_host(),
            o.get_database(),
            o.get_username(),
            o.get_port(),
        )
    }

    fn rows_affected(result: &sqlx::postgres::PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "mysql")]
impl sealed::Sealed for sqlx::MySql {}

#[cfg(feature = "mysql")]
#[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
impl TracedDatabase for sqlx::MySql {
    const SYSTEM: &'static str = "mysql";
    const PREFIX_V0: &'static str = "mysql";
    const PREFIX_V1: &'static str = "mysql";
    const DATABASE_ERROR_TYPE: &'static str = "sqlx_mysql::MySqlDatabaseError";
    const SUPPORTS_DBM: bool = true;

    fn endpoint(o: &sqlx::mysql::MySqlConnectOptions) -> Endpoint {
        server_endpoint(
            o.get_socket(),
            o.get_host(),
            o.get_database(),
            o.get_username(),
            o.get_port(),
        )
    }

    fn rows_affected(result: &sqlx::mysql::MySqlQueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "sqlite")]
impl sealed::Sealed for sqlx::Sqlite {}

#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
impl TracedDatabase for sqlx::Sqlite {
    const SYSTEM: &'static str = "sqlite";
    const PREFIX_V0: &'static str = "sqlite";
    const PREFIX_V1: &'static str = "sqlite";
    const DATABASE_ERROR_TYPE: &'static str = "sqlx_sqlite::SqliteError";
    const SUPPORTS_DBM: bool = false;

    /// The Python tracer's sqlite3 integration tags no database name, user or host: a file is
    /// not a peer service.
    fn endpoint(_: &sqlx::sqlite::SqliteConnectOptions) -> Endpoint {
        Endpoint::default()
    }

    fn rows_affected(result: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}
