// Package docs writes the references that are generated from the code:
// the CLI reference (docs/cli.md) from the cobra command tree, and the
// OpenAPI 3.1 document (docs/openapi.json) from the API's route table.
// `make docs` regenerates both (internal/docs/gen); the tests here fail
// when either is stale, or when a route is served that the table lacks.
package docs
