package client

import (
	"context"
	"net/url"

	"github.com/rivetr/rivetr/internal/service"
)

// Templates lists the service templates (category "" for all).
func (c *Client) Templates(ctx context.Context, category string) ([]service.TemplateView, error) {
	var out []service.TemplateView
	return out, c.do(ctx, "GET", "/api/templates?category="+url.QueryEscape(category), nil, &out)
}

// Template returns one service template.
func (c *Client) Template(ctx context.Context, name string) (*service.TemplateView, error) {
	var out service.TemplateView
	return &out, c.do(ctx, "GET", "/api/templates/"+esc(name), nil, &out)
}

// UpgradeTemplate gives an app made from a template the catalog's current
// version and deploys it.
func (c *Client) UpgradeTemplate(ctx context.Context, app string, in service.TemplateUpgradeRequest) (*service.TemplateDeployed, error) {
	var out service.TemplateDeployed
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/template/upgrade", in, &out)
}

// DeployTemplate makes an app from a template and deploys it.
func (c *Client) DeployTemplate(ctx context.Context, name string, in service.TemplateDeployRequest) (*service.TemplateDeployed, error) {
	var out service.TemplateDeployed
	return &out, c.do(ctx, "POST", "/api/templates/"+esc(name)+"/deploy", in, &out)
}
