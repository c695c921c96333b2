// Package service holds Rivetr's business rules, which the API and the
// dashboard both call (neither holds a rule of its own). Service is made of
// parts around a shared core (service.go): Apps, Deploys, Policies, Git,
// Databases, People and Instance. The core holds the store, the Temporal
// client, authorisation (rbac.go: every action checked against the caller's
// role in the app's team, capped by their token) and the audit log. Errors
// are *Error values with a Kind and a message for a person (errors.go);
// answers are wire types (wire.go and the *View types), never the store's
// models.
package service
