package main

import "github.com/vaekit/vaekit/vaekit"

// What train settles before it takes its directory: the checks that refuse a run which
// would crash.

// memoryUse is what the run needs memory for: training, and the final measure's IWAE.
func (o *trainOptions) memoryUse() vaekit.MemoryUse {
	return vaekit.MemoryUse{Training: true, IWAESamples: o.iwae}
}

// beforeLock checks the run's memory.
func (o *trainOptions) beforeLock(e *env, cfg vaekit.Config) error {
	if err := checkIWAESamples(o.iwae); err != nil {
		return err
	}
	if err := e.checkModel(cfg, o.memoryUse()); err != nil {
		return err
	}
	return nil
}
