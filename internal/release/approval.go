package release

import "time"

// DefaultApprovalTTL is how long a deployment waits for approval when its
// policy does not say.
const DefaultApprovalTTL = 24 * time.Hour

// ApprovalPolicy is an approval gate: whether deploys need approval, how
// many approvers must approve, whether the requester may be one of them,
// and how long a deploy waits before it expires (0: DefaultApprovalTTL).
type ApprovalPolicy struct {
	Required  bool
	Needed    int
	AllowSelf bool
	TTL       time.Duration
}

// EffectiveApproval combines the policies an app's deploys meet (its own,
// its environment's): the stricter wins, field by field. Approval is
// required when any requires it; the most approvals any asks for are
// needed (at least one); the requester may approve their own deploy only
// when every policy that requires approval allows it; and the shortest
// wait applies. Policies that do not require approval change nothing.
func EffectiveApproval(policies ...ApprovalPolicy) ApprovalPolicy {
	var p ApprovalPolicy
	for _, q := range policies {
		if !q.Required {
			continue
		}
		needed := max(q.Needed, 1)
		if !p.Required {
			p = ApprovalPolicy{Required: true, Needed: needed, AllowSelf: q.AllowSelf, TTL: q.TTL}
			continue
		}
		p.Needed = max(p.Needed, needed)
		p.AllowSelf = p.AllowSelf && q.AllowSelf
		if q.TTL > 0 && (p.TTL <= 0 || q.TTL < p.TTL) {
			p.TTL = q.TTL
		}
	}
	return p
}

// Wait is how long a deploy meeting p waits for its approvals.
func (p ApprovalPolicy) Wait() time.Duration {
	if p.TTL <= 0 {
		return DefaultApprovalTTL
	}
	return p.TTL
}
