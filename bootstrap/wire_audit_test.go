package bootstrap

import (
	"strings"
	"testing"
	"time"
)

func TestConfig_AuditSealIntervalDefaultsTo200msAndKeepsTheOneSecondBound(t *testing.T) {
	if got := DefaultConfig().AuditSealInterval; got != 200*time.Millisecond {
		t.Fatalf("default AUDIT_SEAL_INTERVAL = %s", got)
	}
	for give, ok := range map[time.Duration]bool{
		10 * time.Millisecond: true, time.Second: true,
		5 * time.Millisecond: false, 0: false, 2 * time.Second: false,
	} {
		c := DefaultConfig()
		c.AuditSealInterval = give
		err := c.Validate()
		if ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "AUDIT_SEAL_INTERVAL")) {
			t.Errorf("AUDIT_SEAL_INTERVAL=%s: err = %v", give, err)
		}
	}
}
