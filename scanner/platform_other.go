//go:build !(linux || freebsd || openbsd || netbsd)

package scanner

// isX11Platform is true where screen capture goes through an X server.
const isX11Platform = false
