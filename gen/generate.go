// Package gen holds the Go bindings generated from openapi/openapi.yaml. Nothing below this
// directory is edited by hand: change the spec, then run `make generate`.
//
//   - apitypes: the models (request, response and webhook payload types);
//   - apiserver: the Echo strict server interface and the embedded spec;
//   - apiclient: the typed HTTP client (no Echo dependency).
package gen

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config=types.cfg.yaml ../openapi/openapi.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config=server.cfg.yaml ../openapi/openapi.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config=client.cfg.yaml ../openapi/openapi.yaml
