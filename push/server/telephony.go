package server

import "net/http"

// routeTelephony adds the endpoints of this file's part of the server.
func (s *Server) routeTelephony(mux *http.ServeMux) {}
