//! `shop`: a small axum service traced with every integration, calling a second service, so
//! that one request yields one distributed trace across two services.
//!
//! ```sh
//! cargo run --example shop
//! ```
//!
//! It starts two HTTP services on loopback ports, drives a few requests through them, prints
//! what happened and exits:
//!
//! - `shop` (the `DdTraceLayer` tower layer on an axum router) serves `GET /products/{id}` and
//!   `POST /checkout/{id}`; its handlers call `#[traced]` business functions, query SQL through
//!   `TracedPool` (SQLite in memory by default, PostgreSQL when `DATABASE_URL` is set), cache in
//!   Redis through `TracedClient` when `REDIS_URL` is set, and ask `inventory` for stock through
//!   a `reqwest-middleware` client with `DdTraceMiddleware`, which carries the trace along;
//! - `inventory` (same layer, service `inventory`) answers `GET /stock/{id}`.
//!
//! Traces go to the Datadog Agent at the configured address (`DD_TRACE_AGENT_URL`, else
//! `DD_AGENT_HOST`/`DD_TRACE_AGENT_PORT`, else localhost:8126). When no agent answers there, the
//! example says so in one line and prints the traces as waterfalls instead, with
//! `ddtrace::writer::ConsoleExporter`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use ddtrace::http::DdTraceMiddleware;
use ddtrace::redis::TracedClient;
use ddtrace::sqlx::TracedPool;
use ddtrace::tower::DdTraceLayer;
use ddtrace::{Config, traced};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use serde::{Deserialize, Serialize};

type Cache = ddtrace::redis::TracedConnection<redis::aio::MultiplexedConnection>;

/// The shop's database: SQLite in memory unless DATABASE_URL names a PostgreSQL database.
#[derive(Clone)]
enum Db {
    Sqlite(TracedPool<sqlx::Sqlite>),
    Postgres(TracedPool<sqlx::Postgres>),
}

#[derive(Clone)]
struct Shop {
    db: Db,
    cache: Option<Cache>,
    inventory: ClientWithMiddleware,
    inventory_url: String,
}

#[derive(Debug, Serialize, Deserialize, Clone)]
struct Product {
    id: i64,
    name: String,
    price_cents: i64,
    stock: i64,
}

#[derive(Debug, thiserror::Error)]
enum ShopError {
    #[error("no product {0}")]
    NotFound(i64),
    #[error("only {available} left of product {id}")]
    OutOfStock { id: i64, available: i64 },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("inventory service: {0}")]
    Inventory(String),
}

impl axum::response::IntoResponse for ShopError {
    fn into_response(self) -> axum::response::Response {
        let status = match self {
            ShopError::NotFound(_) => StatusCode::NOT_FOUND,
            ShopError::OutOfStock { .. } => StatusCode::CONFLICT,
            ShopError::Db(_) | ShopError::Inventory(_) => StatusCode::BAD_GATEWAY,
        };
        (status, self.to_string()).into_response()
    }
}

// --- the shop's business logic: each function is a span, a child of the request's ----------

#[traced(tags(product.id = id), err)]
async fn load_product(shop: &Shop, id: i64) -> Result<Product, ShopError> {
    if let Some(p) = cached(shop, id).await {
        return Ok(p);
    }
    let sql = "SELECT id, name, price_cents FROM products WHERE id = $1";
    let row: Option<(i64, String, i64)> = match &shop.db {
        Db::Sqlite(pool) => sqlx::query_as(sql).bind(id).fetch_optional(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(sql).bind(id).fetch_optional(pool).await?,
    };
    let (id, name, price_cents) = row.ok_or(ShopError::NotFound(id))?;
    let stock = stock_of(shop, id).await?;
    let product = Product {
        id,
        name,
        price_cents,
        stock,
    };
    remember(shop, &product).await;
    Ok(product)
}

/// Asks the inventory service; the middleware injects the trace context into the request.
#[traced(err)]
async fn stock_of(shop: &Shop, id: i64) -> Result<i64, ShopError> {
    let url = format!("{}/stock/{id}", shop.inventory_url);
    let resp = shop
        .inventory
        .get(url)
        .send()
        .await
        .map_err(|e| ShopError::Inventory(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(ShopError::Inventory(format!("answered {}", resp.status())));
    }
    resp.json::<i64>()
        .await
        .map_err(|e| ShopError::Inventory(e.to_string()))
}

async fn cached(shop: &Shop, id: i64) -> Option<Product> {
    let mut con = shop.cache.clone()?;
    let json: Option<String> = redis::AsyncCommands::get(&mut con, format!("shop:product:{id}"))
        .await
        .ok()?;
    json.and_then(|j| serde_json::from_str(&j).ok())
}

async fn remember(shop: &Shop, p: &Product) {
    if let (Some(mut con), Ok(json)) = (shop.cache.clone(), serde_json::to_string(p)) {
        let _: Result<(), _> =
            redis::AsyncCommands::set_ex(&mut con, format!("shop:product:{}", p.id), json, 60)
                .await;
    }
}

#[traced(tags(cart.quantity = quantity), err)]
fn check_quantity(product: &Product, quantity: i64) -> Result<i64, ShopError> {
    if quantity > product.stock {
        return Err(ShopError::OutOfStock {
            id: product.id,
            available: product.stock,
        });
    }
    Ok(product.price_cents * quantity)
}

#[traced(err)]
async fn record_order(
    shop: &Shop,
    product: &Product,
    quantity: i64,
    total: i64,
) -> Result<(), ShopError> {
    let sql = "INSERT INTO orders (product_id, quantity, total_cents) VALUES ($1, $2, $3)";
    match &shop.db {
        Db::Sqlite(pool) => {
            sqlx::query(sql)
                .bind(product.id)
                .bind(quantity)
                .bind(total)
                .execute(pool)
                .await?
        }
        Db::Postgres(pool) => {
            sqlx::query(sql)
                .bind(product.id)
                .bind(quantity)
                .bind(total)
                .execute(pool)
                .await?;
            return Ok(());
        }
    };
    Ok(())
}

// --- HTTP handlers -------------------------------------------------------------------------

async fn get_product(
    State(shop): State<Shop>,
    Path(id): Path<i64>,
) -> Result<Json<Product>, ShopError> {
    Ok(Json(load_product(&shop, id).await?))
}

#[derive(Deserialize)]
struct Checkout {
    quantity: i64,
}

async fn checkout(
    State(shop): State<Shop>,
    Path(id): Path<i64>,
    Query(q): Query<Checkout>,
) -> Result<String, ShopError> {
    let product = load_product(&shop, id).await?;
    let total = check_quantity(&product, q.quantity)?;
    record_order(&shop, &product, q.quantity, total).await?;
    Ok(format!(
        "ordered {} x {} for {} cents",
        q.quantity, product.name, total
    ))
}

/// The inventory service's only endpoint.
async fn stock(Path(id): Path<i64>) -> Result<Json<i64>, StatusCode> {
    count_stock(id).map(Json).ok_or(StatusCode::NOT_FOUND)
}

#[traced(tags(product.id = id))]
fn count_stock(id: i64) -> Option<i64> {
    std::thread::sleep(Duration::from_millis(2)); // a warehouse lookup
    match id {
        1 => Some(12),
        2 => Some(3),
        3 => Some(40),
        _ => None,
    }
}

// --- wiring --------------------------------------------------------------------------------

async fn serve(app: Router) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

async fn open_db() -> Result<Db, sqlx::Error> {
    let schema = [
        "CREATE TABLE IF NOT EXISTS products (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price_cents BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS orders (product_id BIGINT, quantity BIGINT, total_cents BIGINT)",
    ];
    let seed = "INSERT INTO products (id, name, price_cents) VALUES (1, 'kettle', 2599), (2, 'teapot', 3450), (3, 'mug', 899) ON CONFLICT (id) DO NOTHING";
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(4)
                .connect(&url)
                .await?;
            for s in schema {
                sqlx::query(s).execute(&pool).await?;
            }
            sqlx::query(seed).execute(&pool).await?;
            Ok(Db::Postgres(TracedPool::new(pool)))
        }
        _ => {
            // One connection: an in-memory SQLite database lives as long as its connection.
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect("sqlite::memory:")
                .await?;
            for s in schema {
                sqlx::query(s).execute(&pool).await?;
            }
            sqlx::query(seed).execute(&pool).await?;
            Ok(Db::Sqlite(TracedPool::new(pool)))
        }
    }
}

async fn open_cache() -> Option<Cache> {
    let url = std::env::var("REDIS_URL").ok()?;
    match TracedClient::open(url.as_str()) {
        Ok(client) => match client.get_multiplexed_async_connection().await {
            Ok(con) => Some(con),
            Err(e) => {
                eprintln!("REDIS_URL={url}: {e}; running without the cache");
                None
            }
        },
        Err(e) => {
            eprintln!("REDIS_URL={url}: {e}; running without the cache");
            None
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The agent answers: send there. It does not: say so once, and print the traces instead.
    let config = Config::from_env();
    let url = config.agent_url.clone();
    let _guard = match ddtrace::writer::check_agent(&config) {
        Ok(_) => {
            println!("Sending traces to the Datadog Agent at {url}.");
            ddtrace::init_with(config)
        }
        Err(e) => {
            println!("No Datadog Agent answers ({e}); showing the traces here instead.\n");
            ddtrace::init_with_exporter(config, ddtrace::writer::ConsoleExporter::stdout())
        }
    };

    let inventory = Router::new().route("/stock/{id}", get(stock)).layer(
        DdTraceLayer::global()
            .service("inventory")
            .component("axum")
            .route(matched_path),
    );
    let inventory_addr = serve(inventory).await?;

    let shop = Shop {
        db: open_db().await?,
        cache: open_cache().await,
        inventory: ClientBuilder::new(reqwest::Client::new())
            .with(DdTraceMiddleware::global())
            .build(),
        inventory_url: format!("http://{inventory_addr}"),
    };
    let app = Router::new()
        .route("/products/{id}", get(get_product))
        .route("/checkout/{id}", post(checkout))
        .with_state(shop)
        .layer(DdTraceLayer::global().component("axum").route(matched_path));
    let shop_addr = serve(app).await?;

    // Drive a few requests through the shop, as a client would.
    let client = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/products/1"),
        ("GET", "/products/1"),
        ("POST", "/checkout/2?quantity=2"),
        ("POST", "/checkout/2?quantity=50"),
        ("GET", "/products/99"),
    ] {
        let url = format!("http://{shop_addr}{path}");
        let req = if method == "GET" {
            client.get(&url)
        } else {
            client.post(&url)
        };
        let resp = req.send().await?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        println!("{method} {path} -> {status}: {body}");
    }
    println!();

    // Send (or print) everything before exiting.
    tokio::task::spawn_blocking(ddtrace::shutdown).await?.ok();
    if let Some(stats) = ddtrace::writer_stats() {
        println!(
            "{} traces ({} spans) sent to the agent, {} dropped.",
            stats.traces_sent,
            stats.spans_sent,
            stats.traces_dropped.total()
        );
    }
    Ok(())
}

fn matched_path(ext: &axum::http::Extensions) -> Option<&str> {
    ext.get::<axum::extract::MatchedPath>()
        .map(axum::extract::MatchedPath::as_str)
}
