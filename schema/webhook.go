package schema

import (
	"context"
	"time"
)

// Webhook delivery results.
const (
	DeliveryReceived = "received" // being handled
	DeliveryDeployed = "deployed" // started a deployment
	DeliveryIgnored  = "ignored"  // nothing to do, and why
	DeliveryPreview  = "preview"  // handed to a pull request's preview
	DeliveryError    = "error"    // could not be handled
)

// WebhookDelivery records one webhook the app received and what came of
// it, so "why didn't it deploy?" always has an answer. A provider's
// delivery ID is unique per app: a redelivery finds the first record.
type WebhookDelivery struct {
	ID           uint      `gorm:"primaryKey" json:"id"`
	AppID        string    `gorm:"size:32;uniqueIndex:idx_delivery_app_provider_id;not null" json:"-"`
	Provider     string    `gorm:"size:16;uniqueIndex:idx_delivery_app_provider_id;not null" json:"provider"`
	DeliveryID   string    `gorm:"size:128;uniqueIndex:idx_delivery_app_provider_id;not null" json:"delivery_id"`
	Event        string    `gorm:"size:64" json:"event"`
	Ref          string    `gorm:"size:255" json:"ref,omitempty"`
	Commit       string    `gorm:"size:64" json:"commit,omitempty"`
	PR           int       `json:"pr,omitempty"`
	Result       string    `gorm:"size:16;not null" json:"result"`
	Reason       string    `json:"reason"`
	DeploymentID string    `gorm:"size:32" json:"deployment_id,omitempty"`
	ReceivedAt   time.Time `gorm:"index" json:"received_at"`
}

// KeepDeliveries is how many delivery records an app keeps.
const KeepDeliveries = 500

// RecordDelivery inserts a delivery; ErrConflict when the app already has
// one with its provider and delivery ID. Older records beyond
// KeepDeliveries go.
func (s *Store) RecordDelivery(ctx context.Context, d *WebhookDelivery) error {
	if err := s.db.WithContext(ctx).Create(d).Error; err != nil {
		return wrap(err, "webhook delivery")
	}
	keep := s.db.Model(&WebhookDelivery{}).Select("id").Where("app_id = ?", d.AppID).Order("id DESC").Limit(KeepDeliveries)
	return wrap(s.db.WithContext(ctx).Where("app_id = ? AND id NOT IN (?)", d.AppID, keep).Delete(&WebhookDelivery{}).Error, "prune webhook deliveries")
}

// GetDelivery finds an app's delivery by provider and delivery ID.
func (s *Store) GetDelivery(ctx context.Context, appID, provider, deliveryID string) (*WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.db.WithContext(ctx).Where("app_id = ? AND provider = ? AND delivery_id = ?", appID, provider, deliveryID).First(&d).Error
	if err != nil {
		return nil, wrap(err, "webhook delivery "+deliveryID)
	}
	return &d, nil
}

// FinishDelivery records what came of a delivery.
func (s *Store) FinishDelivery(ctx context.Context, id uint, result, reason, deploymentID string) error {
	return wrap(s.db.WithContext(ctx).Model(&WebhookDelivery{}).Where("id = ?", id).
		Updates(map[string]any{"result": result, "reason": reason, "deployment_id": deploymentID}).Error, "webhook delivery")
}

// ListDeliveries returns an app's newest deliveries first.
func (s *Store) ListDeliveries(ctx context.Context, appID string, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 || limit > KeepDeliveries {
		limit = KeepDeliveries
	}
	var out []WebhookDelivery
	err := s.db.WithContext(ctx).Where("app_id = ?", appID).Order("id DESC").Limit(limit).Find(&out).Error
	return out, wrap(err, "webhook deliveries")
}

// DeploymentByWorkflowID finds the deployment a workflow ID belongs to.
func (s *Store) DeploymentByWorkflowID(ctx context.Context, workflowID string) (*Deployment, error) {
	var d Deployment
	if err := s.db.WithContext(ctx).Where("workflow_id = ?", workflowID).First(&d).Error; err != nil {
		return nil, wrap(err, "deployment of workflow "+workflowID)
	}
	return &d, nil
}

// ListPreviews returns an app's preview apps by pull request number.
func (s *Store) ListPreviews(ctx context.Context, parentID string) ([]App, error) {
	var out []App
	err := s.db.WithContext(ctx).Where("preview_of = ?", parentID).Order("preview_pr").Find(&out).Error
	return out, wrap(err, "previews")
}
