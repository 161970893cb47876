//! The SQL of [`super::StatusStore`], shared by both backends.

/// Whether the viewer (`$3` admin, `$4` user id) can read repository `r` of project `p`.
macro_rules! readable {
    ($p:literal) => {
        concat!(
            "($3 OR ", $p, ".owner_id = $4 \
             OR EXISTS (SELECT 1 FROM project_permissions pp WHERE pp.project_id = r.project_id AND pp.user_id = $4) \
             OR EXISTS (SELECT 1 FROM repository_permissions rp WHERE rp.repository_id = r.id AND rp.user_id = $4))"
        )
    };
}

/// Branch counts per repository. `$6` is the current configuration generation. A branch is
/// not scanned (no result), vulnerable (its latest result has findings), outdated (a clean
/// result for another commit or generation) or secure.
pub(crate) const REPOSITORY_STATUSES: &str = concat!(
    "WITH page AS ( \
       SELECT r.id, r.project_id, r.slug, r.name, r.default_branch, r.disk_name, r.created_at, \
              r.name_lower, p.key AS project_key \
       FROM repositories r JOIN projects p ON p.id = r.project_id \
       WHERE r.project_id = $1 AND ($2 = 0 OR r.id = $2) AND r.name_lower LIKE $5 ESCAPE '\\' AND ",
    readable!("p"),
    " ORDER BY r.name_lower, r.id LIMIT $7 OFFSET $8) \
     SELECT page.id, page.project_id, page.slug, page.name, page.default_branch, page.disk_name, \
            page.created_at, page.project_key, \
            COUNT(b.name) AS total, \
            CAST(COALESCE(SUM(CASE WHEN b.name IS NOT NULL AND b.result_scan_id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS not_scanned, \
            CAST(COALESCE(SUM(CASE WHEN b.result_vulnerabilities > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS vulnerable, \
            CAST(COALESCE(SUM(CASE WHEN b.result_vulnerabilities = 0 AND (b.result_commit <> b.tip OR b.result_generation <> $6) THEN 1 ELSE 0 END), 0) AS BIGINT) AS outdated, \
            CAST(COALESCE(SUM(CASE WHEN b.result_vulnerabilities = 0 AND b.result_commit = b.tip AND b.result_generation = $6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS secure, \
            CAST(COALESCE(SUM(b.result_vulnerabilities), 0) AS BIGINT) AS vulnerabilities \
     FROM page LEFT JOIN scan_branches b ON b.repository_id = page.id \
     GROUP BY page.id, page.project_id, page.slug, page.name, page.default_branch, page.disk_name, \
              page.created_at, page.project_key, page.name_lower \
     ORDER BY page.name_lower, page.id"
);

/// Repository counts by status per project (the repository rollup of SPEC 7, in SQL). `$5` is
/// the current configuration generation. Personal projects are listed when they hold a
/// repository (or when asked for by id).
pub(crate) const PROJECT_STATUSES: &str = concat!(
    "WITH pg AS ( \
       SELECT p.id, p.key, p.name, p.description, p.owner_id, p.created_at, p.key_upper \
       FROM projects p \
       WHERE ($1 = 0 OR p.id = $1) AND p.name_lower LIKE $2 ESCAPE '\\' \
         AND ($1 <> 0 OR p.owner_id IS NULL OR EXISTS (SELECT 1 FROM repositories r0 WHERE r0.project_id = p.id)) \
         AND ($8 = 0 OR ($8 = 1 AND p.owner_id IS NULL) OR ($8 = 2 AND p.owner_id IS NOT NULL)) \
         AND ($3 OR p.owner_id = $4 \
              OR EXISTS (SELECT 1 FROM project_permissions pp WHERE pp.project_id = p.id AND pp.user_id = $4) \
              OR EXISTS (SELECT 1 FROM repository_permissions rp JOIN repositories r1 ON r1.id = rp.repository_id \
                         WHERE r1.project_id = p.id AND rp.user_id = $4)) \
       ORDER BY p.key_upper LIMIT $6 OFFSET $7), \
     rs AS ( \
       SELECT r.project_id, COUNT(b.name) AS total, \
              SUM(CASE WHEN b.name IS NOT NULL AND b.result_scan_id IS NULL THEN 1 ELSE 0 END) AS nots, \
              SUM(CASE WHEN b.result_vulnerabilities > 0 THEN 1 ELSE 0 END) AS vuln, \
              SUM(CASE WHEN b.result_vulnerabilities = 0 AND (b.result_commit <> b.tip OR b.result_generation <> $5) THEN 1 ELSE 0 END) AS outd, \
              COALESCE(SUM(b.result_vulnerabilities), 0) AS vulns \
       FROM repositories r JOIN pg ON pg.id = r.project_id \
       LEFT JOIN scan_branches b ON b.repository_id = r.id \
       WHERE ",
    readable!("pg"),
    " GROUP BY r.project_id, r.id), \
     rst AS ( \
       SELECT project_id, vulns, \
              CASE WHEN vuln > 0 THEN 'V' WHEN total = 0 OR nots = total THEN 'N' \
                   WHEN nots > 0 THEN 'P' WHEN outd > 0 THEN 'O' ELSE 'S' END AS st \
       FROM rs) \
     SELECT pg.id, pg.key, pg.name, pg.description, pg.owner_id, pg.created_at, \
            COUNT(rst.st) AS total, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'S' THEN 1 ELSE 0 END), 0) AS BIGINT) AS secure, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'V' THEN 1 ELSE 0 END), 0) AS BIGINT) AS vulnerable, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'N' THEN 1 ELSE 0 END), 0) AS BIGINT) AS not_scanned, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'P' THEN 1 ELSE 0 END), 0) AS BIGINT) AS partially_scanned, \
            CAST(COALESCE(SUM(CASE WHEN rst.st = 'O' THEN 1 ELSE 0 END), 0) AS BIGINT) AS outdated, \
            CAST(COALESCE(SUM(rst.vulns), 0) AS BIGINT) AS vulnerabilities \
     FROM pg LEFT JOIN rst ON rst.project_id = pg.id \
     GROUP BY pg.id, pg.key, pg.name, pg.description, pg.owner_id, pg.created_at, pg.key_upper \
     ORDER BY pg.key_upper"
);

/// Findings of the latest completed tree scan of each branch in scope, after a keyset key.
pub(crate) const EXPORT_ROWS: &str = "SELECT s.id AS scan_id, f.seq, p.key AS project_key, r.slug AS repository_slug, \
            r.id AS repository_id, s.branch, f.path, f.line, f.rule_name, f.text, \
            f.line_offset_start, f.line_offset_end, f.truncated, f.allowlisted, f.blocking, \
            f.commit_id, f.confidence, s.commit_id AS scan_commit, s.finished_at AS scan_date \
     FROM scan_branches b JOIN scans s ON s.id = b.result_scan_id \
     JOIN repositories r ON r.id = b.repository_id JOIN projects p ON p.id = r.project_id \
     JOIN scan_findings f ON f.scan_id = s.id \
     WHERE r.project_id = $1 AND ($2 = 0 OR r.id = $2) AND ($3 = '' OR b.name = $3) \
       AND ($4 = '' OR f.rule_name = $4) AND ($5 OR f.allowlisted = FALSE) \
       AND s.finished_at >= $6 AND s.finished_at < $7 \
       AND ($8 OR p.owner_id = $9 \
            OR EXISTS (SELECT 1 FROM project_permissions pp WHERE pp.project_id = r.project_id AND pp.user_id = $9) \
            OR EXISTS (SELECT 1 FROM repository_permissions rp WHERE rp.repository_id = r.id AND rp.user_id = $9)) \
       AND (s.id > $10 OR (s.id = $10 AND f.seq > $11)) \
     ORDER BY s.id, f.seq LIMIT $12";

/// Implements [`crate::StatusStore`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field, on `$backend`.
macro_rules! impl_status {
    ($store:ty, $db:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::StatusStore for $store {
            async fn branch_statuses(
                &self,
                repository_id: i64,
                name: Option<&str>,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::BranchStatusRow>> {
                let rows = sqlx::query_as(
                    "SELECT b.name, b.tip, b.is_default, NULLIF(b.scan_state, 'NONE') AS scan_state, \
                     ls.scan_key AS last_scan_key, ls.files_done AS last_files_done, \
                     ls.files_total AS last_files_total, rs.scan_key AS result_scan_key, \
                     b.result_commit, b.result_generation, b.result_vulnerabilities, b.result_date \
                     FROM scan_branches b \
                     LEFT JOIN scans ls ON ls.id = b.last_scan_id \
                     LEFT JOIN scans rs ON rs.id = b.result_scan_id \
                     WHERE b.repository_id = $1 AND b.display_lower LIKE $2 ESCAPE '\\' \
                     ORDER BY b.is_default DESC, b.display_lower, b.name LIMIT $3 OFFSET $4",
                )
                .bind(repository_id)
                .bind($crate::page::contains_pattern(name))
                .bind(page.sql_limit())
                .bind(page.sql_offset())
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn repository_statuses(
                &self,
                project_id: i64,
                only: Option<i64>,
                viewer: $crate::Viewer,
                name: Option<&str>,
                generation: i64,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::RepositoryStatusRow>> {
                let rows = sqlx::query_as($crate::status::sql::REPOSITORY_STATUSES)
                    .bind(project_id)
                    .bind(only.unwrap_or(0))
                    .bind(viewer.admin)
                    .bind(viewer.user_id)
                    .bind($crate::page::contains_pattern(name))
                    .bind(generation)
                    .bind(page.sql_limit())
                    .bind(page.sql_offset())
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn project_statuses(
                &self,
                only: Option<i64>,
                viewer: $crate::Viewer,
                kind: Option<$crate::ProjectKind>,
                name: Option<&str>,
                generation: i64,
                page: $crate::PageRequest,
            ) -> $crate::Result<$crate::Page<$crate::ProjectStatusRow>> {
                let rows = sqlx::query_as($crate::status::sql::PROJECT_STATUSES)
                    .bind(only.unwrap_or(0))
                    .bind($crate::page::contains_pattern(name))
                    .bind(viewer.admin)
                    .bind(viewer.user_id)
                    .bind(generation)
                    .bind(page.sql_limit())
                    .bind(page.sql_offset())
                    .bind($crate::ProjectKind::code(kind))
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::Page::from_rows(rows, page))
            }

            async fn export_rows(
                &self,
                filter: &$crate::ExportFilter,
                after: (i64, i64),
                limit: i64,
            ) -> $crate::Result<Vec<$crate::ExportRow>> {
                let viewer = filter.viewer.unwrap_or($crate::Viewer { user_id: 0, admin: true });
                Ok(sqlx::query_as($crate::status::sql::EXPORT_ROWS)
                    .bind(filter.project_id)
                    .bind(filter.repository_id.unwrap_or(0))
                    .bind(filter.branch.clone().unwrap_or_default())
                    .bind(filter.rule.clone().unwrap_or_default())
                    .bind(filter.include_allowlisted)
                    .bind(filter.start.unwrap_or(i64::MIN))
                    .bind(filter.end.unwrap_or(i64::MAX))
                    .bind(viewer.admin)
                    .bind(viewer.user_id)
                    .bind(after.0)
                    .bind(after.1)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}

pub(crate) use impl_status;
