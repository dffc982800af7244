"""Every write to wards, coverage and the register (STYLE 1), one module per job:

- `register`: register versions and coverage (W2); the only writer of Coverage rows.
- `import_export`: the ward and register CSV files (W4); providers and branches are written
  through `providers.services`.
- `requests`: ward requests (W3), approved into a register version.

The names below are the app's service API; import them from here.
"""

from .import_export import (
    REGISTER_COLUMNS,
    REGISTER_OPTIONAL,
    WARD_COLUMNS,
    RegisterImportResult,
    WardImportResult,
    register_csv_response,
    register_export_rows,
    register_import,
    wards_import,
)
from .register import register_change, register_current_version
from .requests import (
    WARD_REQUEST_REFUSALS,
    WardRequestConflict,
    WardRequestRefused,
    ward_request_create,
    ward_request_withdraw,
    ward_requests_approve,
    ward_requests_reject,
)

__all__ = [
    "REGISTER_COLUMNS",
    "REGISTER_OPTIONAL",
    "WARD_COLUMNS",
    "RegisterImportResult",
    "WardImportResult",
    "WARD_REQUEST_REFUSALS",
    "WardRequestConflict",
    "WardRequestRefused",
    "register_change",
    "register_csv_response",
    "register_current_version",
    "register_export_rows",
    "register_import",
    "ward_request_create",
    "ward_request_withdraw",
    "ward_requests_approve",
    "ward_requests_reject",
    "wards_import",
]
