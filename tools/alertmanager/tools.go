//go:build tools

// Package tools records the Alertmanager commands that
// scripts/build-servers.sh builds, so that `go mod tidy` keeps their
// dependencies in go.mod and go.sum. It is never compiled.
package tools

import (
	_ "github.com/prometheus/alertmanager/cmd/alertmanager"
	_ "github.com/prometheus/alertmanager/cmd/amtool"
)
