package initramfs

import (
	"fmt"
	"os"
	"strconv"
)

// SourceDateEpoch reads $SOURCE_DATE_EPOCH, the one rule every command that
// stamps outputs applies: unset or empty is not set; anything else must be
// a non-negative decimal number of seconds, or it is an error naming the
// variable and its value (a typo must not build with another time).
func SourceDateEpoch() (epoch int64, set bool, err error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err == nil && n < 0 {
		err = strconv.ErrRange
	}
	if err != nil {
		return 0, true, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative number of seconds: %w", v, err)
	}
	return n, true, nil
}
