package activities

import (
	"errors"
	"fmt"

	"github.com/rivetr/rivetr/internal/gitprovider"
	"github.com/rivetr/rivetr/internal/secrets"
	"github.com/rivetr/rivetr/schema"
	"go.temporal.io/sdk/temporal"
)

// Non-retryable error types: the user's mistake, not the infrastructure's.
// Workflows read them to tell "failed" from "try again".
const (
	ErrTypeSource       = "SourceError"
	ErrTypeBuild        = "BuildFailed"
	ErrTypeUnhealthy    = "Unhealthy"
	ErrTypeImageMissing = "ImageMissing"
	ErrTypeGone         = "Gone"
	// ErrTypeSecret: this host cannot open the app's sealed secrets (it
	// lacks the key); retrying cannot help until the operator fixes it.
	ErrTypeSecret = "SecretUnavailable"
)

// ErrTypeBackup is a backup or restore that cannot work as configured
// (no destination, a corrupt copy): retrying will not help.
const ErrTypeBackup = "BackupFailed"

// ErrTypeDatabase is a database that cannot start for a reason retrying
// will not change (its image is missing, it exits at once).
const ErrTypeDatabase = "DatabaseFailed"

// ErrTypeProvider is a git host's API refusing for good.
const ErrTypeProvider = "ProviderRefused"

// ErrTypeCertificate is a certificate the CA did not give (or a host that
// serves no HTTPS).
const ErrTypeCertificate = "CertificateFailed"

func nonRetryable(typ string, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), typ, nil)
}

// gone turns a missing app or deployment (deleted mid-run) into a final error.
func gone(err error) error {
	if errors.Is(err, schema.ErrNotFound) {
		return nonRetryable(ErrTypeGone, "%v", err)
	}
	return err
}

// secretErr reports sealed secrets this host cannot open.
func secretErr(err error) error {
	if errors.Is(err, secrets.ErrNoKey) || errors.Is(err, secrets.ErrNoKeyring) {
		return nonRetryable(ErrTypeSecret, "cannot open the app's secrets on this host: %v", err)
	}
	return err
}

func providerErr(err error) error {
	var perr *gitprovider.Error
	if errors.As(err, &perr) && perr.Permanent() {
		return nonRetryable(ErrTypeProvider, "%v", err)
	}
	if err != nil {
		return fmt.Errorf("git host API: %w", err)
	}
	return nil
}
