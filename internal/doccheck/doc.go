// Package doccheck keeps the repository's documents true to its code. Its tests read
// ARCHITECTURE.md, CONTRIBUTING.md and README.md's package map and fail when a path, a Go name
// (package.Name or package.Type.Member) or a test they name no longer exists. It has no code of
// its own to import.
package doccheck
