//! The OpenAPI 3.0 document, generated from the route tables ([`super::ROUTES`] and
//! [`crate::INTAKE_ROUTES`]), the parameter table and the collection table: a route, parameter
//! or collection added to those tables is documented without touching this file. The other
//! service routes (CAP, the live stream, the key list, health, metrics) are described by hand
//! in [`service_paths`]; the delivery-receipt webhooks are left out.
//!
//! What is documented is checked against what is answered: through the router by the
//! `every_documented_read_answers_as_the_document_says` test, and against a live server by
//! schemathesis in `scripts/api-conformance.sh`.

use serde_json::{Map, Value, json};

use super::catalog::{CollectionMeta, FeatureCatalog, PropertyKind};
use super::params::{ITEMS_PARAMETERS, Parameter};
use super::{CONFORMANCE_CLASSES, ROUTES, RouteKind};

fn parameter_ref(parameter: Parameter) -> Value {
    json!({ "$ref": format!("#/components/parameters/{}", parameter.name()) })
}

/// The component name of `f` on the routes that answer JSON only (metadata and single
/// features): the shared `f` would promise CSV there.
const JSON_ONLY_FORMAT: &str = "f-json";

fn json_only_format_ref() -> Value {
    json!({ "$ref": format!("#/components/parameters/{JSON_ONLY_FORMAT}") })
}

fn parameter_definition(parameter: Parameter) -> Value {
    // OGC API – Features gives every query parameter as `style: form, explode: false`
    // (bbox is then a comma-separated array).
    json!({
        "name": parameter.name(),
        "in": "query",
        "required": false,
        "description": parameter.description(),
        "schema": parameter.schema(),
        "style": "form",
        "explode": false,
    })
}

fn path_parameter(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema })
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } },
    })
}

fn json_ok(description: &str, media_type: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { media_type: { "schema": schema } } })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn collection_id_schema(catalog: &FeatureCatalog) -> Value {
    json!({ "type": "string", "enum": catalog.collection_ids() })
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone; no key expected.
    Public,
    /// A researcher key (or above) is needed.
    Keyed,
    /// Depends on the collection asked for: a generic `{collectionId}` route.
    Either,
}

/// Declares `access` on `operation`: its security requirement and the 401 it may answer.
fn declare_access(operation: &mut Value, access: Access, unauthorized: &str) {
    match access {
        Access::Public => return,
        Access::Keyed => operation["security"] = json!([{ "apiKey": [] }]),
        // `{}` is "no key": the public collections need none, the keyed ones do.
        Access::Either => operation["security"] = json!([{}, { "apiKey": [] }]),
    }
    operation["responses"]["401"] = problem(unauthorized);
}

fn items_operation(
    operation_id: String,
    summary: String,
    parameters: Vec<Value>,
    feature_schema: Value,
    access: Access,
) -> Value {
    let mut operation = json!({
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "A page of features (GeoJSON FeatureCollection, or CSV with `f=csv`).",
                "content": {
                    "application/geo+json": { "schema": feature_schema },
                    "text/csv": { "schema": { "type": "string" } },
                },
            },
            "400": problem("An unknown or malformed query parameter, named in the problem."),
            "404": problem("No such collection."),
        },
    });
    declare_access(
        &mut operation,
        access,
        "The items need a researcher key, or the key sent is not a live key.",
    );
    operation
}

fn item_operation(
    operation_id: String,
    summary: String,
    parameters: Vec<Value>,
    schema: Value,
    access: Access,
) -> Value {
    let mut operation = json!({
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": json_ok("The feature.", "application/geo+json", schema),
            "400": problem("An unknown or malformed query parameter."),
            "404": problem("No such collection or feature."),
        },
    });
    declare_access(
        &mut operation,
        access,
        "The items need a researcher key, or the key sent is not a live key.",
    );
    operation
}

fn access_of(meta: &CollectionMeta) -> Access {
    if meta.requires_key {
        Access::Keyed
    } else {
        Access::Public
    }
}

fn feature_schema(meta: &CollectionMeta) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for property in meta.properties {
        let mut schema = match property.kind {
            PropertyKind::Text => json!({ "type": "string" }),
            PropertyKind::Integer => json!({ "type": "integer" }),
            PropertyKind::Number => json!({ "type": "number" }),
            PropertyKind::Boolean => json!({ "type": "boolean" }),
            PropertyKind::Date => json!({ "type": "string", "format": "date" }),
            PropertyKind::TextList => json!({ "type": "array", "items": { "type": "string" } }),
        };
        schema["description"] = json!(format!("{} HXL: {}", property.description, property.hxl));
        if property.nullable {
            schema["nullable"] = json!(true);
        }
        properties.insert(property.name.to_owned(), schema);
        required.push(property.name);
    }
    json!({
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": { "type": "string", "enum": ["Feature"] },
            "id": { "type": if meta.integer_ids { "integer" } else { "string" } },
            "geometry": {
                "type": "object",
                "nullable": true,
                "required": ["type", "coordinates"],
                "properties": {
                    "type": { "type": "string", "enum": meta.geometry_types },
                    "coordinates": { "type": "array" },
                },
            },
            "properties": { "type": "object", "required": required, "properties": properties },
            "links": { "type": "array", "items": schema_ref("Link") },
        },
    })
}

fn feature_collection_schema(feature: Value) -> Value {
    json!({
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": { "type": "string", "enum": ["FeatureCollection"] },
            "features": { "type": "array", "items": feature },
            "links": { "type": "array", "items": schema_ref("Link") },
            "timeStamp": { "type": "string", "format": "date-time" },
            "numberMatched": { "type": "integer", "minimum": 0 },
            "numberReturned": { "type": "integer", "minimum": 0 },
        },
    })
}

/// The form fields of an SMS gateway's callback, required ones first: what Vigie reads (the
/// gateways send more, which is ignored).
fn gateway_form(required: &[&str], optional: &[&str]) -> Value {
    let properties: Map<String, Value> = required
        .iter()
        .chain(optional)
        .map(|name| ((*name).to_owned(), json!({ "type": "string" })))
        .collect();
    json!({ "type": "object", "required": required, "properties": properties })
}

/// One intake route's operation. The request bodies and replies differ by gateway (each
/// speaks its gateway's protocol); a route added to [`crate::INTAKE_ROUTES`] without a case
/// here is still documented, with a free-form body.
fn intake_operation(route: &crate::IntakeRoute) -> Value {
    let mut parameters = Vec::new();
    if route.path.contains("{token}") {
        parameters.push(path_parameter(
            "token",
            "The secret callback token.",
            json!({ "type": "string" }),
        ));
    }
    let mut errors = problem("");
    let (body, mut responses) = match route.operation_id {
        "submitReport" => {
            let receipt = json!({ "type": "object", "required": ["id", "status", "reply"],
                "properties": { "id": { "type": "integer" }, "status": { "type": "string" },
                                "reply": { "type": "string" } } });
            (
                crate::intake::web_form::body_schema(),
                json!({
                    "201": json_ok("Recorded: the report's id, status and the reply to show.", "application/json", receipt.clone()),
                    "200": json_ok("Already recorded under this client_id: the same answer.", "application/json", receipt),
                }),
            )
        }
        "receiveTwilioSms" => (
            gateway_form(&["MessageSid"], &["From", "Body"]),
            json!({
                "200": text_ok("Recorded; the reply SMS as TwiML.", "application/xml"),
                "403": problem("The X-Twilio-Signature header is missing or wrong."),
            }),
        ),
        "receiveAfricasTalkingSms" => (
            gateway_form(&["id"], &["from", "text"]),
            json!({ "200": text_ok("Recorded; the reply SMS as text.", "text/plain") }),
        ),
        "receiveSmsSync" => {
            // SMSSync reads its own JSON shape, errors included.
            errors = json!({ "content": { "application/json": { "schema": {
                "type": "object", "required": ["payload"],
                "properties": { "payload": { "type": "object", "required": ["success"],
                    "properties": { "success": { "type": "boolean", "enum": [false] },
                                    "error": { "type": "string" } } } } } } } });
            (
                gateway_form(&["secret", "message_id"], &["from", "message"]),
                json!({
                    "200": json_ok("Recorded; SMSSync's send task for the reply.", "application/json",
                        json!({ "type": "object", "required": ["payload"] })),
                }),
            )
        }
        _ => (
            json!({ "type": "object" }),
            json!({ "200": { "description": "Recorded and acknowledged in the gateway's reply format." } }),
        ),
    };
    let error_cases = [
        ("400", "The body cannot be read."),
        ("403", "The gateway could not be authenticated."),
        (
            "404",
            "The gateway is not configured, or the token is wrong.",
        ),
        ("413", "The body is too large."),
        ("415", "The body is not of the documented media type."),
        ("422", "A field is missing or wrong."),
    ];
    for (status, description) in error_cases {
        if responses.get(status).is_none() {
            let mut response = errors.clone();
            response["description"] = json!(description);
            responses[status] = response;
        }
    }
    json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "parameters": parameters,
        "requestBody": { "required": true, "content": { route.body_type: { "schema": body } } },
        "responses": responses,
    })
}

fn text_ok(description: &str, media_type: &str) -> Value {
    json!({ "description": description, "content": { media_type: { "schema": { "type": "string" } } } })
}

/// The service's routes outside OGC API – Features: CAP, the live stream, the key list, health
/// and metrics. The delivery-receipt webhooks are left out (gateway callbacks, each with its
/// own secret; see `receipts.rs`), like the SMS webhooks would be if they did not share the
/// intake table.
fn service_paths(paths: &mut Map<String, Value>, example_zone: Option<&str>) {
    let no_query = "This route takes no query parameters.";
    paths.insert(
        "/cap/feed.atom".into(),
        json!({ "get": {
            "operationId": "getCapFeed",
            "summary": "Atom feed of the public CAP 1.2 messages: the latest of each open warning, and recent Cancels",
            "responses": { "200": text_ok("The Atom feed.", "application/atom+xml") },
        } }),
    );
    paths.insert(
        "/cap/{identifier}.xml".into(),
        json!({ "get": {
            "operationId": "getCapMessage",
            "summary": "One public CAP 1.2 message",
            "parameters": [path_parameter(
                "identifier",
                "The message's CAP identifier, as the feed links it.",
                json!({ "type": "string" }),
            )],
            "responses": {
                "200": text_ok("The CAP 1.2 alert.", crate::cap::CAP_MEDIA_TYPE),
                "404": problem("No CAP message has this identifier."),
            },
        } }),
    );
    let mut stream = json!({
        "operationId": "getStream",
        "summary": "The live stream: Server-Sent Events, or JSON pages with poll=true. The public sees warnings and hotspots; a researcher key adds events and reports.",
        "parameters": [
            { "name": "since", "in": "query", "required": false,
              "description": "Resume after this stream message id (else the Last-Event-ID header).",
              "schema": { "type": "integer", "minimum": 0 } },
            { "name": "poll", "in": "query", "required": false,
              "description": "true: answer one JSON page instead of an open event stream.",
              "schema": { "type": "boolean", "default": false } },
            { "name": "limit", "in": "query", "required": false,
              "description": "Messages per page, with poll=true only.",
              "schema": { "type": "integer", "minimum": 1, "maximum": crate::live::MAX_POLL_LIMIT,
                          "default": crate::live::DEFAULT_POLL_LIMIT } },
            { "name": "Last-Event-ID", "in": "header", "required": false,
              "description": "The id of the last message received, sent by a reconnecting EventSource.",
              "schema": { "type": "integer", "minimum": 0 } },
        ],
        "responses": {
            "200": {
                "description": "The stream (text/event-stream, never ends by itself), or with poll=true one page and the id to poll from next.",
                "content": {
                    "text/event-stream": { "schema": { "type": "string" } },
                    "application/json": { "schema": {
                        "type": "object", "required": ["items", "next"],
                        "properties": {
                            "items": { "type": "array", "items": { "type": "object", "required": ["kind"] } },
                            "next": { "type": "integer" },
                        },
                    } },
                },
            },
            "400": problem("A malformed query parameter or Last-Event-ID header."),
        },
    });
    declare_access(
        &mut stream,
        Access::Either,
        "The key sent is not a live key (send none for the public stream).",
    );
    paths.insert("/api/stream".into(), json!({ "get": stream }));
    let level = json!({ "type": "string", "enum": ["vigilance", "alerte", "urgence"] });
    let mut zone_id = path_parameter(
        "zoneId",
        "A commune, cercle or region P-code, or a corridor id.",
        json!({ "type": "string" }),
    );
    if let Some(example) = example_zone {
        zone_id["example"] = json!(example);
    }
    paths.insert(
        "/api/zones/{zoneId}/weekly".into(),
        json!({ "get": {
            "operationId": "getZoneWeekly",
            "summary": "A zone's weekly events and fatalities (Monday weeks, oldest first, ending with this week), the thresholds of the rules watching it, and its warning episodes",
            "parameters": [
                zone_id,
                { "name": "weeks", "in": "query", "required": false,
                  "description": "How many weeks, ending with the current one.",
                  "schema": { "type": "integer", "minimum": 1, "maximum": super::weekly::MAX_WEEKS,
                              "default": super::weekly::DEFAULT_WEEKS } },
            ],
            "responses": {
                "200": json_ok("The series.", "application/json", json!({
                    "type": "object", "required": ["zone", "weeks", "thresholds", "episodes"],
                    "properties": {
                        "zone": { "type": "object", "required": ["id", "name", "level"], "properties": {
                            "id": { "type": "string" }, "name": { "type": "string" },
                            "level": { "type": "string", "enum": ["region", "cercle", "commune", "corridor"] } } },
                        "weeks": { "type": "array", "items": {
                            "type": "object", "required": ["start", "events", "fatalities"],
                            "properties": {
                                "start": { "type": "string", "format": "date" },
                                "events": { "type": "integer", "minimum": 0 },
                                "fatalities": { "type": "integer", "minimum": 0 } } } },
                        "thresholds": { "type": "array", "items": {
                            "type": "object",
                            "required": ["rule", "kind", "metric", "window_days", "level", "value"],
                            "properties": {
                                "rule": { "type": "string" },
                                "kind": { "type": "string", "enum": ["threshold", "surge"] },
                                "metric": { "type": "string", "enum": ["events", "fatalities", "days"] },
                                "window_days": { "type": "integer" },
                                "level": level.clone(),
                                "value": { "type": "number", "nullable": true },
                                "statistic": { "type": "string", "enum": ["ratio", "p_value", "z"] },
                                "statistic_value": { "type": "number" } } } },
                        "episodes": { "type": "array", "items": {
                            "type": "object",
                            "required": ["id", "rule", "level", "opened", "closed", "status"],
                            "properties": {
                                "id": { "type": "string" }, "rule": { "type": "string" },
                                "level": { "type": "string", "nullable": true },
                                "max_level": { "type": "string", "nullable": true },
                                "opened": { "type": "string", "format": "date" },
                                "closed": { "type": "string", "format": "date", "nullable": true },
                                "status": { "type": "string", "enum": ["open", "closed"] } } } },
                    },
                })),
                "400": problem("`weeks` is not an integer from 1 to 104, or another parameter was sent."),
                "404": problem("No zone has this id."),
            },
        } }),
    );
    paths.insert(
        "/api/reports/{reportId}/review".into(),
        json!({ "post": {
            "operationId": "reviewReport",
            "summary": "Verify or reject an unverified community report (analyst or admin key); answers the report as the reports collection shows it",
            "security": [{ "apiKey": [] }],
            "parameters": [path_parameter(
                "reportId",
                "The report's id (an integer).",
                json!({ "type": "integer" }),
            )],
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["decision", "reason"],
                "properties": {
                    "decision": { "type": "string", "enum": ["verified", "rejected"] },
                    "reason": { "type": "string", "minLength": 1,
                                "maxLength": super::review::MAX_REASON_CHARS },
                },
            } } } },
            "responses": {
                "200": json_ok("The report, with its new status.", "application/geo+json",
                               schema_ref("reportsFeature")),
                "400": problem("The body is not JSON, or a field is missing or wrong (named in `field`)."),
                "401": problem("An analyst or admin key is needed."),
                "403": problem("The key is not an analyst's or an admin's."),
                "404": problem("No report has this id."),
                "409": problem("The report has already been verified or rejected."),
                "413": problem("The body is too large."),
                "415": problem("The body is not sent as application/json."),
            },
        } }),
    );
    paths.insert(
        "/api/keys".into(),
        json!({ "get": {
            "operationId": "listApiKeys",
            "summary": "The API keys (id, name, role, display prefix, dates; never a secret), for admins",
            "security": [{ "apiKey": [] }],
            "responses": {
                "200": json_ok("The keys.", "application/json", json!({
                    "type": "object", "required": ["keys"],
                    "properties": { "keys": { "type": "array", "items": {
                        "type": "object", "required": ["id", "name", "role", "prefix", "created_at"],
                        "properties": {
                            "id": { "type": "integer" }, "name": { "type": "string" },
                            "role": { "type": "string", "enum": ["researcher", "analyst", "admin"] },
                            "prefix": { "type": "string" },
                            "created_at": { "type": "string", "format": "date-time" },
                            "revoked_at": { "type": "string", "format": "date-time", "nullable": true },
                            "last_used_at": { "type": "string", "format": "date-time", "nullable": true },
                        },
                    } } },
                })),
                "400": problem(no_query),
                "401": problem("An admin key is needed."),
                "403": problem("The key is not an admin's."),
            },
        } }),
    );
    let health = |status: &str| {
        json!({ "type": "object", "required": ["status"],
                "properties": {
                    "status": { "type": "string", "enum": [status] },
                    "leader": { "type": "boolean", "description":
                        "Whether this replica runs the warning engine and the dispatcher \
                         (`vigie serve` says; on PostgreSQL one replica at a time)." },
                    "geography_version": { "type": "integer",
                        "description": "The store's version of the zone set served." },
                } })
    };
    paths.insert(
        "/healthz".into(),
        json!({ "get": {
            "operationId": "getHealth",
            "summary": "Whether the store answers",
            "responses": {
                "200": json_ok("The store answers.", "application/json", health("ok")),
                "503": json_ok("The store does not answer in time.", "application/json", health("unavailable")),
            },
        } }),
    );
    paths.insert(
        "/metrics".into(),
        json!({ "get": {
            "operationId": "getMetrics",
            "summary": "Prometheus metrics (text exposition format 0.0.4)",
            "responses": { "200": text_ok("The metrics.", "text/plain") },
        } }),
    );
}

/// The OpenAPI document, with `base` (the API's base URL) as its server.
/// `example_zone` (a commune's id) is given as the example of the zone routes' `zoneId`, so
/// that a client generating requests from the document reaches a real zone.
pub fn document(catalog: &FeatureCatalog, base: &str, example_zone: Option<&str>) -> Value {
    let mut paths = Map::new();
    let format_only = vec![json_only_format_ref()];
    let collection_id = path_parameter(
        "collectionId",
        "A collection id.",
        collection_id_schema(catalog),
    );
    let feature_id = path_parameter("featureId", "A feature id.", json!({ "type": "string" }));
    let common_items: Vec<Value> = ITEMS_PARAMETERS.into_iter().map(parameter_ref).collect();
    for route in &ROUTES {
        let operation = match route.kind {
            RouteKind::Landing => json!({
                "parameters": format_only,
                "responses": { "200": json_ok("Links to the API.", "application/json", schema_ref("LandingPage")),
                               "400": problem("An unknown query parameter.") },
            }),
            RouteKind::Conformance => json!({
                "parameters": format_only,
                "responses": { "200": json_ok("The conformance classes.", "application/json", schema_ref("Conformance")),
                               "400": problem("An unknown query parameter.") },
            }),
            RouteKind::Api => json!({
                "parameters": format_only,
                "responses": { "200": json_ok("This document.", "application/vnd.oai.openapi+json;version=3.0", json!({ "type": "object" })),
                               "400": problem("An unknown query parameter.") },
            }),
            RouteKind::Collections => {
                let mut operation = json!({
                    "parameters": format_only,
                    "responses": { "200": json_ok("The collections the caller may read: the keyed ones only with a key.", "application/json", schema_ref("Collections")),
                                   "400": problem("An unknown query parameter.") },
                });
                declare_access(
                    &mut operation,
                    Access::Either,
                    "The key sent is not a live key (send none for the public list).",
                );
                operation
            }
            RouteKind::Collection => {
                let mut operation = json!({
                    "parameters": [collection_id, json_only_format_ref()],
                    "responses": { "200": json_ok("The collection.", "application/json", schema_ref("Collection")),
                                   "400": problem("An unknown query parameter."),
                                   "404": problem("No such collection.") },
                });
                declare_access(
                    &mut operation,
                    Access::Either,
                    "A keyed collection needs a researcher key, or the key sent is not a live key.",
                );
                operation
            }
            RouteKind::Items => {
                let mut parameters = vec![collection_id.clone()];
                parameters.extend(common_items.iter().cloned());
                items_operation(
                    route.operation_id.to_owned(),
                    route.summary.to_owned(),
                    parameters,
                    feature_collection_schema(json!({ "type": "object" })),
                    Access::Either,
                )
            }
            RouteKind::Item => item_operation(
                route.operation_id.to_owned(),
                route.summary.to_owned(),
                vec![
                    collection_id.clone(),
                    feature_id.clone(),
                    json_only_format_ref(),
                ],
                json!({ "type": "object" }),
                Access::Either,
            ),
        };
        let mut operation = operation;
        operation["operationId"] = json!(route.operation_id);
        operation["summary"] = json!(route.summary);
        paths.insert(route.path.to_owned(), json!({ "get": operation }));
    }
    // One path per collection, with its own filters and feature schema.
    let mut schemas = Map::new();
    for collection in catalog.collections() {
        let meta = collection.meta();
        let feature_name = format!("{}Feature", meta.id);
        schemas.insert(feature_name.clone(), feature_schema(meta));
        let mut parameters = common_items.clone();
        parameters.extend(meta.parameters.iter().copied().map(parameter_ref));
        let item_operation_id = format!("get_{}_item", meta.id);
        let mut items = items_operation(
            format!("get_{}_items", meta.id),
            format!("{}: a page of features", meta.title),
            parameters,
            feature_collection_schema(schema_ref(&feature_name)),
            access_of(meta),
        );
        // How a client (or a test generator) gets from a page to one of its features.
        items["responses"]["200"]["links"] = json!({ "firstFeature": {
            "operationId": item_operation_id,
            "parameters": { "featureId": "$response.body#/features/0/id" },
            "description": "The page's first feature.",
        } });
        paths.insert(
            format!("/collections/{}/items", meta.id),
            json!({ "get": items }),
        );
        let feature_id = path_parameter(
            "featureId",
            if meta.integer_ids {
                "The feature's id (an integer)."
            } else {
                "The feature's id (a P-code or corridor id)."
            },
            json!({ "type": if meta.integer_ids { "integer" } else { "string" } }),
        );
        paths.insert(
            format!("/collections/{}/items/{{featureId}}", meta.id),
            json!({ "get": item_operation(
                item_operation_id,
                format!("{}: one feature", meta.title),
                vec![feature_id, json_only_format_ref()],
                schema_ref(&feature_name),
                access_of(meta),
            ) }),
        );
    }
    for route in &crate::INTAKE_ROUTES {
        paths.insert(
            route.path.to_owned(),
            json!({ "post": intake_operation(route) }),
        );
    }
    service_paths(&mut paths, example_zone);
    let mut parameter_definitions = Map::new();
    for parameter in Parameter::ALL {
        parameter_definitions.insert(parameter.name().to_owned(), parameter_definition(parameter));
    }
    parameter_definitions.insert(
        JSON_ONLY_FORMAT.to_owned(),
        json!({
            "name": Parameter::Format.name(),
            "in": "query",
            "required": false,
            "description": "Output format: only `json` here (CSV is for pages of items).",
            "schema": { "type": "string", "enum": ["json"] },
        }),
    );
    let link = json!({
        "type": "object",
        "required": ["href"],
        "properties": {
            "href": { "type": "string" }, "rel": { "type": "string" },
            "type": { "type": "string" }, "title": { "type": "string" },
        },
    });
    schemas.insert("Link".into(), link);
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "required": ["type", "title", "status"],
            "properties": {
                "type": { "type": "string" }, "title": { "type": "string" },
                "status": { "type": "integer" }, "detail": { "type": "string" },
                "parameter": { "type": "string", "description": "The query parameter at fault." },
            },
        }),
    );
    schemas.insert(
        "LandingPage".into(),
        json!({ "type": "object", "required": ["links"], "properties": {
            "title": { "type": "string" }, "description": { "type": "string" },
            "links": { "type": "array", "items": schema_ref("Link") } } }),
    );
    schemas.insert(
        "Conformance".into(),
        json!({ "type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": { "type": "array", "items": { "type": "string" }, "example": CONFORMANCE_CLASSES } } }),
    );
    schemas.insert(
        "Collection".into(),
        json!({ "type": "object", "required": ["id", "links"], "properties": {
            "id": { "type": "string" }, "title": { "type": "string" }, "description": { "type": "string" },
            "itemType": { "type": "string" }, "crs": { "type": "array", "items": { "type": "string" } },
            "extent": { "type": "object" }, "requiresKey": { "type": "boolean" },
            "links": { "type": "array", "items": schema_ref("Link") } } }),
    );
    schemas.insert(
        "Collections".into(),
        json!({ "type": "object", "required": ["links", "collections"], "properties": {
            "links": { "type": "array", "items": schema_ref("Link") },
            "collections": { "type": "array", "items": schema_ref("Collection") } } }),
    );
    // Every route but the gateways' webhooks and the health check draws on a rate limit
    // (see `rate_limit.rs`).
    for (path, item) in paths.iter_mut() {
        if path.starts_with("/webhooks/") || path == "/healthz" {
            continue;
        }
        if let Some(operations) = item.as_object_mut() {
            for operation in operations.values_mut() {
                operation["responses"]["429"] = problem(
                    "Too many requests from this key or address: retry after the \
                     Retry-After header's seconds.",
                );
            }
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Vigie",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Early-warning data on conflict events in Mali: OGC API – Features \
                            Part 1 Core with GeoJSON and CSV/HXL output, and the community \
                            report intake.",
            "license": { "name": "AGPL-3.0-or-later" },
        },
        "servers": [{ "url": base }],
        "paths": paths,
        "components": {
            "parameters": parameter_definitions,
            "schemas": schemas,
            "securitySchemes": { "apiKey": { "type": "http", "scheme": "bearer" } },
        },
    })
}
