// Package gen holds the Go bindings generated from openapi/openapi.yaml. Nothing below this
// directory is edited by hand (besides the generator in internal/unimplemented): change the spec,
// then run `make generate`.
//
//   - apitypes: the models (request, response and webhook payload types);
//   - apiserver: the Echo strict server interface, the embedded spec, and Unimplemented, which
//     answers every operation 501 until the server implements it (written from the generated
//     interface by gen/internal/unimplemented, the one hand-written program under gen/);
//   - apiclient: the typed HTTP client (no Echo dependency).
package gen

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config=types.cfg.yaml ../openapi/openapi.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config=server.cfg.yaml ../openapi/openapi.yaml
//go:generate go run ./internal/unimplemented -in apiserver/server.gen.go -out apiserver/unimplemented.gen.go
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen --config=client.cfg.yaml ../openapi/openapi.yaml
