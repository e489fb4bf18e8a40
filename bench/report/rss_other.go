//go:build !linux

package main

import "os"

// maxRSSMB is not measured off Linux.
func maxRSSMB(*os.ProcessState) float64 { return 0 }
