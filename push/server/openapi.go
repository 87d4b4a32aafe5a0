package server

import _ "embed"

// openAPI is the OpenAPI 3 description of the relying-party API, served at
// /openapi.yaml.
//
//go:embed openapi.yaml
var openAPI []byte
