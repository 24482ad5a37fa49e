"""Reference data: centres.yaml and tarifs/ (data), their strict schemas (schema), the BDPM import (bdpm), where the
shipped files are (resources)."""
