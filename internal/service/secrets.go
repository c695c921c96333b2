package service

import (
	"context"
	"fmt"

	"github.com/rivetr/rivetr/internal/secrets"
)

// KeyRotation is the outcome of a secret key rotation.
type KeyRotation struct {
	Key      string `json:"key"`
	Resealed int    `json:"resealed"`
}

// RotateSecretKey makes a new secret key, seals every stored secret with
// it and retires the old key (instance admins only).
func (s *People) RotateSecretKey(ctx context.Context) (*KeyRotation, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := instanceAdminOnly(a, "rotating the secret key needs an instance admin"); err != nil {
		return nil, err
	}
	if s.keys == nil {
		return nil, stateErr("%v", secrets.ErrNoKeyring)
	}
	id, n, err := s.keys.Rotate(func() (int, error) {
		changed, bad, err := s.store.Reseal(ctx)
		if err == nil && bad > 0 {
			err = fmt.Errorf("%d secrets are sealed with a key this server does not have; give it that key first", bad)
		}
		return changed, err
	})
	if err != nil {
		return nil, stateErr("%v", err)
	}
	s.audit(ctx, AuditSecretsRotate, "", "secret key", nil, map[string]any{"key": id, "resealed": n})
	return &KeyRotation{Key: id, Resealed: n}, nil
}
