// Package cachedir says where vaekit keeps what it trains for the user: the models of
// TrainOrLoad and the judges of package judge share one root directory.
package cachedir

import (
	"fmt"
	"os"
	"path/filepath"
)

// EnvModels names the environment variable that moves the model cache.
const EnvModels = "VAEKIT_MODELS"

// Models is the root of the model cache: $VAEKIT_MODELS if set, else
// <user cache dir>/vaekit/models (~/.cache/vaekit/models on Linux).
func Models() (string, error) {
	if dir := os.Getenv(EnvModels); dir != "" {
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("vaekit: no cache directory for trained models (set $%s): %w", EnvModels, err)
	}
	return filepath.Join(cache, "vaekit", "models"), nil
}
