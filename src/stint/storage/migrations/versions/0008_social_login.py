"""social login: upstream identities, CLI-added providers, pending sign-ins, users' email key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _email_key(email: str) -> str:
    # As stint.accounts.profile.email_key at this revision (a migration never changes later).
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_key", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_email_key"), ["email_key"], unique=False)
    _backfill_email_keys()

    op.create_table(
        "upstream_identities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("display", sa.String(length=255), server_default="", nullable=False),
        sa.Column("extra_data", sa.Text(), server_default="{}", nullable=False),
        sa.Column("sealed_tokens", sa.LargeBinary(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_upstream_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_identities")),
        sa.UniqueConstraint("provider", "uid", name=op.f("uq_upstream_identities_provider_uid")),
    )
    with op.batch_alter_table("upstream_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upstream_identities_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "upstream_providers",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("sealed_client_secret", sa.LargeBinary(), nullable=False),
        sa.Column("issuer", sa.String(length=255), server_default="", nullable=False),
        sa.Column("scope", sa.Text(), server_default="[]", nullable=False),
        sa.Column("label", sa.String(length=100), server_default="", nullable=False),
        sa.Column("auto_link_email", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("store_tokens", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("allow_sign_up", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("options", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_upstream_providers")),
    )

    op.create_table(
        "upstream_sign_ins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("next_url", sa.Text(), server_default="", nullable=False),
        sa.Column("sealed_session", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_upstream_sign_ins_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_upstream_sign_ins")),
    )
    with op.batch_alter_table("upstream_sign_ins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upstream_sign_ins_expires_at"), ["expires_at"], unique=False
        )


def _backfill_email_keys() -> None:
    users = sa.table(
        "users", sa.column("id", sa.Integer()), sa.column("profile"), sa.column("email_key")
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.profile).where(users.c.profile != "{}"))
    keys = []
    for user_id, profile in rows:
        email = json.loads(profile or "{}").get("email")
        if isinstance(email, str) and email:
            keys.append({"user_id": user_id, "email_key": _email_key(email)})
    if keys:
        conn.execute(
            sa.update(users)
            .where(users.c.id == sa.bindparam("user_id"))
            .values(email_key=sa.bindparam("email_key")),
            keys,
        )


def downgrade() -> None:
    with op.batch_alter_table("upstream_sign_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upstream_sign_ins_expires_at"))
    op.drop_table("upstream_sign_ins")
    op.drop_table("upstream_providers")
    with op.batch_alter_table("upstream_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upstream_identities_user_id"))
    op.drop_table("upstream_identities")
    op.drop_index(op.f("ix_users_email_key"), table_name="users")
    # Not batch mode: SQLite would copy users and drop the original, and with foreign keys on
    # that deletes every row that references a user. SQLite drops a column itself since 3.35.
    op.execute("ALTER TABLE users DROP COLUMN email_key")
