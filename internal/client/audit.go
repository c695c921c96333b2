package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/rivetr/rivetr/internal/service"
)

// Audit reads a page of the audit log.
func (c *Client) Audit(ctx context.Context, q service.AuditQuery) (*service.AuditPage, error) {
	v := url.Values{}
	for k, s := range map[string]string{"team": q.Team, "actor": q.Actor, "action": q.Action, "target": q.Target} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Before > 0 {
		v.Set("before", strconv.FormatUint(q.Before, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out service.AuditPage
	return &out, c.do(ctx, "GET", "/api/audit?"+v.Encode(), nil, &out)
}
