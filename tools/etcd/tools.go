//go:build tools

// Package tools records the etcd commands that scripts/build-servers.sh
// builds, so that `go mod tidy` keeps their dependencies in go.mod and go.sum.
// It is never compiled.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
