//! The OpenAPI 3.0 document, generated from the route tables ([`super::ROUTES`] and
//! [`crate::INTAKE_ROUTES`]), the parameter table and the collection table: a route, parameter
//! or collection added to those tables is documented without touching this file.

use serde_json::{Map, Value, json};

use super::catalog::{CollectionMeta, FeatureCatalog, PropertyKind};
use super::params::{ITEMS_PARAMETERS, Parameter};
use super::{CONFORMANCE_CLASSES, ROUTES, RouteKind};

fn parameter_ref(parameter: Parameter) -> Value {
    json!({ "$ref": format!("#/components/parameters/{}", parameter.name()) })
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

fn items_operation(
    operation_id: String,
    summary: String,
    parameters: Vec<Value>,
    feature_schema: Value,
    keyed: bool,
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
    if keyed {
        operation["security"] = json!([{ "apiKey": [] }]);
        operation["responses"]["401"] = problem("The items need a researcher key.");
    }
    operation
}

fn item_operation(
    operation_id: String,
    summary: String,
    parameters: Vec<Value>,
    schema: Value,
    keyed: bool,
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
    if keyed {
        operation["security"] = json!([{ "apiKey": [] }]);
        operation["responses"]["401"] = problem("The items need a researcher key.");
    }
    operation
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

/// The OpenAPI document, with `base` (the API's base URL) as its server.
pub fn document(catalog: &FeatureCatalog, base: &str) -> Value {
    let mut paths = Map::new();
    let format_only = vec![parameter_ref(Parameter::Format)];
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
            RouteKind::Collections => json!({
                "parameters": format_only,
                "responses": { "200": json_ok("The collections.", "application/json", schema_ref("Collections")),
                               "400": problem("An unknown query parameter.") },
            }),
            RouteKind::Collection => json!({
                "parameters": [collection_id, parameter_ref(Parameter::Format)],
                "responses": { "200": json_ok("The collection.", "application/json", schema_ref("Collection")),
                               "400": problem("An unknown query parameter."),
                               "404": problem("No such collection.") },
            }),
            RouteKind::Items => {
                let mut parameters = vec![collection_id.clone()];
                parameters.extend(common_items.iter().cloned());
                items_operation(
                    route.operation_id.to_owned(),
                    route.summary.to_owned(),
                    parameters,
                    feature_collection_schema(json!({ "type": "object" })),
                    false,
                )
            }
            RouteKind::Item => item_operation(
                route.operation_id.to_owned(),
                route.summary.to_owned(),
                vec![
                    collection_id.clone(),
                    feature_id.clone(),
                    parameter_ref(Parameter::Format),
                ],
                json!({ "type": "object" }),
                false,
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
        paths.insert(
            format!("/collections/{}/items", meta.id),
            json!({ "get": items_operation(
                format!("get_{}_items", meta.id),
                format!("{}: a page of features", meta.title),
                parameters,
                feature_collection_schema(schema_ref(&feature_name)),
                meta.requires_key,
            ) }),
        );
        paths.insert(
            format!("/collections/{}/items/{{featureId}}", meta.id),
            json!({ "get": item_operation(
                format!("get_{}_item", meta.id),
                format!("{}: one feature", meta.title),
                vec![feature_id.clone(), parameter_ref(Parameter::Format)],
                schema_ref(&feature_name),
                meta.requires_key,
            ) }),
        );
    }
    for route in &crate::INTAKE_ROUTES {
        let mut parameters = Vec::new();
        if route.path.contains("{token}") {
            parameters.push(path_parameter(
                "token",
                "The secret callback token.",
                json!({ "type": "string" }),
            ));
        }
        paths.insert(
            route.path.to_owned(),
            json!({ "post": {
                "operationId": route.operation_id,
                "summary": route.summary,
                "parameters": parameters,
                "requestBody": { "required": true, "content": { route.body_type: { "schema": { "type": "object" } } } },
                "responses": {
                    "200": { "description": "Recorded and acknowledged in the gateway's reply format." },
                    "400": problem("The body cannot be read."),
                    "403": problem("The gateway could not be authenticated."),
                    "404": problem("The gateway is not configured, or the token is wrong."),
                    "413": problem("The body is too large."),
                    "422": problem("A field is missing or wrong."),
                },
            } }),
        );
    }
    let mut parameter_definitions = Map::new();
    for parameter in Parameter::ALL {
        parameter_definitions.insert(parameter.name().to_owned(), parameter_definition(parameter));
    }
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
