// Package examples holds the README's copy-paste examples of Countersign's
// relying-party API: curl.sh (curl), signin.py (Python's standard library)
// and signin.mjs (Node's built-in fetch). Each asks a user to approve a
// sign-in, prints the number to show, waits, and prints the answer; the
// package's test runs each against a real server with a real device
// client answering, so that the examples cannot rot.
package examples
