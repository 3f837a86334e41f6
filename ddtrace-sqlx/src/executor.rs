//! `sqlx::Executor` for the wrappers, one set of impls per database.
//!
//! The impls name each database rather than being generic over `DB`: sqlx's own generic impls
//! for `&mut PoolConnection<DB>` and `&mut Transaction<DB>` had to be removed because the
//! compiler cannot normalize `&mut DB::Connection: Executor` there; concrete types have no such
//! trouble. Each method hands the wrapped executor to [`crate::query`], which traces it.

macro_rules! traced_executor {
    ($(#[$attr:meta])* impl<$($lt:lifetime),*> for $ty:ty, $db:ty, |$this:ident| ($inner:expr, $inst:expr)) => {
        $(#[$attr])*
        impl<$($lt),*> sqlx::Executor<'c> for $ty {
            type Database = $db;

            fn fetch_many<'e, 'q: 'e, E>(
                self,
                query: E,
            ) -> futures_core::stream::BoxStream<
                'e,
                Result<
                    sqlx::Either<
                        <$db as sqlx::Database>::QueryResult,
                        <$db as sqlx::Database>::Row,
                    >,
                    sqlx::Error,
                >,
            >
            where
                'c: 'e,
                E: 'q + sqlx::Execute<'q, $db>,
            {
                let $this = self;
                crate::query::fetch_many($inner, $inst, query)
            }

            fn fetch_optional<'e, 'q: 'e, E>(
                self,
                query: E,
            ) -> futures_core::future::BoxFuture<
                'e,
                Result<Option<<$db as sqlx::Database>::Row>, sqlx::Error>,
            >
            where
                'c: 'e,
                E: 'q + sqlx::Execute<'q, $db>,
            {
                let $this = self;
                crate::query::fetch_optional($inner, $inst, query)
            }

            fn prepare_with<'e>(
                self,
                sql: sqlx::SqlStr,
                parameters: &'e [<$db as sqlx::Database>::TypeInfo],
            ) -> futures_core::future::BoxFuture<
                'e,
                Result<<$db as sqlx::Database>::Statement, sqlx::Error>,
            >
            where
                'c: 'e,
            {
                let $this = self;
                crate::query::prepare_with($inner, $inst, sql, parameters)
            }

            #[doc(hidden)]
            fn describe<'e>(
                self,
                sql: sqlx::SqlStr,
            ) -> futures_core::future::BoxFuture<'e, Result<sqlx::Describe<$db>, sqlx::Error>>
            where
                'c: 'e,
            {
                let $this = self;
                crate::query::describe($inner, $inst, sql)
            }
        }
    };
}

macro_rules! traced_executors {
    ($db:ty, $feature:literal) => {
        traced_executor!(
            #[cfg(feature = $feature)]
            #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
            impl<'c> for &'_ crate::TracedPool<$db>, $db,
            |this| (this.inner(), &this.inst)
        );
        traced_executor!(
            #[cfg(feature = $feature)]
            #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
            impl<'c> for &'c mut crate::TracedPoolConnection<$db>, $db,
            |this| (&mut *this.conn, &*this.inst)
        );
        traced_executor!(
            #[cfg(feature = $feature)]
            #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
            impl<'c, 't> for &'c mut crate::TracedTransaction<'t, $db>, $db,
            |this| (&mut *this.tx, &*this.inst)
        );
    };
}

traced_executors!(sqlx::Postgres, "postgres");
traced_executors!(sqlx::MySql, "mysql");
traced_executors!(sqlx::Sqlite, "sqlite");
