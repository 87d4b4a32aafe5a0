package server

import "net/http"

// routeDuo adds the endpoints of this file's part of the server.
func (s *Server) routeDuo(mux *http.ServeMux) {}
