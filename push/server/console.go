package server

import "net/http"

// routeConsole adds the endpoints of this file's part of the server.
func (s *Server) routeConsole(mux *http.ServeMux) {}
