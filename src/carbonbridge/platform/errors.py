"""The platform's own errors: storage that is not private, and backups that cannot be restored."""

from __future__ import annotations

from carbonbridge.kernel.errors import CarbonbridgeError, Conflict, DependencyUnavailable, InvalidInput


class InsecureStorage(DependencyUnavailable):
    """A database file (or its ``-wal``/``-shm``) can be read or written by users other than its
    owner; the platform refuses to open it until its mode is ``0600`` (``docs/operations.md``)."""

    code = "insecure-storage"
    title_en = "Storage readable by others"
    title_zh = "存储文件可被他人读取"


class BackupInvalid(InvalidInput):
    """A backup directory is incomplete, altered or for another kind of database: its manifest is
    missing or malformed, or a file does not match the SHA-256 the manifest records."""

    code = "backup-invalid"
    title_en = "Invalid backup"
    title_zh = "备份无效"


class RestoreTargetNotEmpty(Conflict):
    """A restore would overwrite a database that holds data; nothing was changed (``--force``
    overwrites it)."""

    code = "restore-target-not-empty"
    title_en = "Restore target is not empty"
    title_zh = "恢复目标数据库非空"


class RestoreUnverified(CarbonbridgeError):
    """A restored database does not hold the log the backup recorded (another tree size or root),
    or its audit fails; the detail names what differs."""

    code = "restore-unverified"
    status = 500
    title_en = "Restored database failed verification"
    title_zh = "恢复的数据库未通过验证"
