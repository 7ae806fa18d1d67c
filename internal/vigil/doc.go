// Package vigil is Vigil's domain: tenants and API keys, consumer and business users, their
// history of events, and the single write path that every create, update and event goes
// through. It defines the Store contract that storage packages implement and imports no
// driver and no net/http.
package vigil
