// Package browsertest tests the server's web pages (enrollment,
// self-service, demo) in a real headless Chromium, as a user uses them: a
// real server on loopback (push/server/servertest), real devices activated
// from the codes the pages show (internal/pushtest), clicks and typing in the
// browser. Every test fails on a console error, an uncaught exception or a
// Content-Security-Policy violation, and takes a screenshot of each state.
//
// The tests need Chromium (Debian: apt-get install chromium; make test
// installs it). Without it they are skipped, unless CI is set: there a
// missing browser fails. COUNTERSIGN_SCREENSHOTS=DIR keeps the screenshots
// in DIR instead of a temporary directory.
//
// The package has only tests.
package browsertest
