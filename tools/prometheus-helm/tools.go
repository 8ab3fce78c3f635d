//go:build tools

// Package tools records the Prometheus and Helm commands that
// scripts/build-servers.sh builds, so that `go mod tidy` keeps their
// dependencies in go.mod and go.sum. It is never compiled.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
	_ "helm.sh/helm/v4/cmd/helm"
)
