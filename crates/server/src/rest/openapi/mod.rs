//! The OpenAPI 3.1 document of the REST API, generated from the handlers' `#[utoipa::path]`
//! annotations as the routers register them (see [`crate::rest::router`]), and served
//! anonymously at [`PATH`].

pub mod schemas;
pub mod security_schemas;

use axum::http::header;
use axum::routing::{MethodRouter, get};
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::state::AppState;

/// Where the document is served.
pub const PATH: &str = "/rest/openapi.json";

/// The security schemes every operation accepts.
const SCHEMES: [&str; 2] = ["basic", "bearer"];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keywarden REST API",
        description = "Keywarden's REST API: the Soteri Security API under `/rest/security/latest` \
            and the subset of Bitbucket Server's API it hosts repositories with, under \
            `/rest/api/latest` and `/rest/access-tokens/latest`. Each `latest` prefix has the \
            alias `1.0` (`/rest/security/1.0/...` answers the same). Every operation needs HTTP \
            Basic auth (password, or a personal access token as the password) or \
            `Authorization: Bearer <token>`; without it the answer is 401. A signed-in user \
            without the permission also gets 401 (Bitbucket's habit). A POST, PUT or DELETE \
            from a browser (a `Cookie`, `Origin`, `Referer` or browser `User-Agent`) with a \
            form-like or absent content type needs `X-Atlassian-Token: no-check` (or an \
            `Origin` of the server), else it is refused with 403 `XSRF check failed`. Errors \
            are Bitbucket's envelope `{\"errors\":[{\"context\":null,\"message\":...,\
            \"exceptionName\":...}]}`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(schemas::ErrorEnvelope, schemas::GlobalPermission)),
    tags(
        (name = "Users", description = "Users (any signed-in user)"),
        (name = "Admin", description = "User administration (administrators)"),
        (name = "Projects", description = "Projects"),
        (name = "Repositories", description = "Repositories and branches"),
        (name = "Permissions", description = "User permissions on projects and repositories"),
        (name = "Hooks", description = "The security hook's settings on projects and repositories"),
        (name = "Access tokens", description = "Personal access tokens"),
        (name = "Rules", description = "Built-in and custom rules"),
        (name = "Reviewed", description = "Findings marked reviewed, per repository and global"),
        (name = "Settings", description = "Security settings, log level and audit log"),
        (name = "Scans", description = "Branch scans and their results"),
        (name = "Status", description = "Security status dashboards and mass scans"),
        (name = "Export", description = "CSV export of findings"),
    )
)]
struct ApiDoc;

/// The document's frame (info, tags, the error envelope) before the routers add their paths.
pub(crate) fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Adds what every operation shares: the security schemes, and the 401, 414, 429, 431, 500
/// and (for changes) XSRF 403 answers.
pub(crate) fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SCHEMES[0],
        SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
    );
    components.add_security_scheme(
        SCHEMES[1],
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    doc.security = Some(
        SCHEMES
            .iter()
            .map(|s| SecurityRequirement::new(*s, Vec::<String>::new()))
            .collect(),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, name, op) in [
            (HttpMethod::Get, "get", &mut item.get),
            (HttpMethod::Post, "post", &mut item.post),
            (HttpMethod::Put, "put", &mut item.put),
            (HttpMethod::Delete, "delete", &mut item.delete),
        ] {
            if let Some(op) = op {
                op.operation_id = Some(operation_id(name, path));
                add_common_responses(method, op);
            }
        }
    }
    doc
}

/// A unique operation id from the method and path (handler names repeat across modules):
/// `GET /rest/api/latest/projects/{key}` is `getApiProjectsByKey`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    let words = path
        .split(['/', '-', '_'])
        .filter(|w| !w.is_empty() && *w != "rest" && *w != "latest");
    for word in words {
        let word = match word.strip_prefix('{') {
            Some(param) => {
                id.push_str("By");
                param.trim_end_matches('}')
            }
            None => word,
        };
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id
}

fn add_common_responses(method: HttpMethod, op: &mut Operation) {
    let responses = &mut op.responses.responses;
    responses.entry("401".into()).or_insert_with(|| {
        envelope(
            "No or wrong credentials (with `WWW-Authenticate: Basic`), or signed in without \
             the permission",
        )
    });
    responses
        .entry("500".into())
        .or_insert_with(|| envelope("Internal error (details are logged, not returned)"));
    responses.entry("429".into()).or_insert_with(|| {
        envelope(
            "Too many failed logins for the account or from the address: locked out for the \
             seconds of `Retry-After`",
        )
    });
    responses
        .entry("414".into())
        .or_insert_with(|| envelope("The URL is longer than 16 KiB"));
    responses
        .entry("431".into())
        .or_insert_with(|| envelope("More than 100 header fields, or more than 64 KiB of them"));
    if method != HttpMethod::Get {
        responses.entry("403".into()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(
                        "XSRF check failed: a browser request with a form-like or absent \
                         content type, without `X-Atlassian-Token: no-check` or a same-origin \
                         `Origin`/`Referer`",
                    )
                    .content(
                        "text/plain",
                        ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Object::with_type(
                                utoipa::openapi::schema::Type::String,
                            )))
                            .build(),
                    )
                    .build(),
            )
        });
    }
}

/// A response with the error envelope.
fn envelope(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                    .build(),
            )
            .build(),
    )
}

/// `GET` [`PATH`]: the document, rendered once.
pub(crate) fn serve(doc: utoipa::openapi::OpenApi) -> MethodRouter<AppState> {
    let body = doc.to_json().expect("the OpenAPI document serializes");
    get(move || {
        let body = body.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], body) }
    })
}

#[cfg(test)]
mod tests {
    use super::operation_id;

    #[test]
    fn operation_ids_come_from_method_and_path() {
        assert_eq!(
            operation_id("get", "/rest/api/latest/projects/{key}"),
            "getApiProjectsByKey"
        );
        assert_eq!(
            operation_id("put", "/rest/security/latest/status/total_rescan"),
            "putSecurityStatusTotalRescan"
        );
        assert_eq!(
            operation_id("delete", "/rest/access-tokens/latest/users/{name}/{id}"),
            "deleteAccessTokensUsersByNameById"
        );
    }
}
