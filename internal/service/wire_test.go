package service

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/rivetr/rivetr/schema"
)

// fill sets every exported field of v (a pointer) to a value that is not
// zero, so a field the wire type lacks shows in its JSON.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == reflect.TypeOf(&schema.DeploySnapshot{}) {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 1, 10, 0, *n, 0, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint:
		if v.CanInt() {
			v.SetInt(int64(*n))
		} else {
			v.SetUint(uint64(*n))
		}
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), n)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n)
		if e.Kind() == reflect.Interface {
			e.Set(reflect.ValueOf("x"))
		} else {
			fill(e, n)
		}
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// Every wire type answers exactly the JSON its record did: no field lost,
// none added, nothing secret (the records hide their secrets with
// json:"-", and so the wire types lack them).
func TestWireTypesAnswerTheRecordsJSON(t *testing.T) {
	check := func(name string, record any, wire func() any) {
		t.Helper()
		n := 0
		fill(reflect.ValueOf(record).Elem(), &n)
		want, _ := json.Marshal(record)
		got, _ := json.Marshal(wire())
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	var (
		app  schema.App
		dep  schema.Deployment
		apr  schema.Approval
		log  schema.LogLine
		tok  schema.APIToken
		usr  schema.User
		team schema.Team
		mem  schema.Member
		aud  schema.AuditEntry
		inv  schema.Invitation
		fw   schema.FreezeWindow
		rec  schema.RecurringDeploy
		env  schema.Environment
		del  schema.WebhookDelivery
		db   schema.Database
		pol  schema.BackupPolicy
		bk   schema.Backup
		ev   schema.EnvVar
	)
	check("App", &app, func() any { return appOf(&app) })
	check("Deployment", &dep, func() any { return deploymentOf(&dep) })
	check("Approval", &apr, func() any { return approvalOf(&apr) })
	check("LogLine", &log, func() any { return logLineOf(&log) })
	check("APIToken", &tok, func() any { return aPITokenOf(&tok) })
	check("User", &usr, func() any { return userOf(&usr) })
	check("Team", &team, func() any { return teamOf(&team) })
	check("Member", &mem, func() any { return memberOf(&mem) })
	check("AuditEntry", &aud, func() any { return auditEntryOf(&aud) })
	check("Invitation", &inv, func() any { return invitationOf(&inv) })
	check("FreezeWindow", &fw, func() any { return freezeWindowOf(&fw) })
	check("RecurringDeploy", &rec, func() any { return recurringDeployOf(&rec) })
	check("Environment", &env, func() any { return environmentOf(&env) })
	check("WebhookDelivery", &del, func() any { return webhookDeliveryOf(&del) })
	check("Database", &db, func() any { return databaseOf(&db) })
	check("BackupPolicy", &pol, func() any { return backupPolicyOf(&pol) })
	check("Backup", &bk, func() any { return backupOf(&bk) })
	check("EnvVar", &ev, func() any { return envVarOf(&ev) })
	if app.GitToken == "" || db.Password == "" {
		t.Fatal("the filler left the secrets empty: the check proves nothing")
	}
}
