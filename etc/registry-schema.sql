-- Registry database schema (PostgreSQL), the source of the tldsign export
-- (DESIGN.md section 4).  It holds domains, their EPP statuses (RFC 5731),
-- host objects and their addresses (RFC 5732), and the DNSSEC data of each
-- domain as the registrar sent it over EPP (RFC 5910: dsData or keyData).
-- etc/export-registry.sh writes the export from these tables.
--
--   psql -v ON_ERROR_STOP=1 -d registry -f etc/registry-schema.sql

BEGIN;

-- Registered names: A-labels, lower case, without the trailing dot.
CREATE TABLE domain (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    registrar   text NOT NULL DEFAULT 'unknown',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    CONSTRAINT domain_name_lower CHECK (name = lower(name)),
    CONSTRAINT domain_name_ascii CHECK (name ~ '^[a-z0-9.-]+$')
);
CREATE UNIQUE INDEX domain_name_key ON domain (name);

-- EPP domain statuses (RFC 5731 section 2.3); clientHold / serverHold keep
-- a domain out of the zone.
CREATE TABLE domain_status (
    domain_id   bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN (
                    'ok', 'inactive',
                    'clientDeleteProhibited', 'clientHold', 'clientRenewProhibited',
                    'clientTransferProhibited', 'clientUpdateProhibited',
                    'serverDeleteProhibited', 'serverHold', 'serverRenewProhibited',
                    'serverTransferProhibited', 'serverUpdateProhibited',
                    'pendingCreate', 'pendingDelete', 'pendingRenew',
                    'pendingTransfer', 'pendingUpdate')),
    PRIMARY KEY (domain_id, status)
);

-- Host objects (RFC 5732): name servers, inside or outside the TLD.
CREATE TABLE host (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    CONSTRAINT host_name_lower CHECK (name = lower(name))
);
CREATE UNIQUE INDEX host_name_key ON host (name);

-- Addresses of host objects: the glue candidates.
CREATE TABLE host_address (
    host_id     bigint NOT NULL REFERENCES host (id) ON DELETE CASCADE,
    address     inet NOT NULL CHECK (masklen(address) = CASE family(address) WHEN 4 THEN 32 ELSE 128 END),
    PRIMARY KEY (host_id, address)
);

-- The NS set of a domain.
CREATE TABLE domain_ns (
    domain_id   bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    host_id     bigint NOT NULL REFERENCES host (id),
    PRIMARY KEY (domain_id, host_id)
);

-- RFC 5910 dsData.  The digest is kept as the registrar sent it (hex); tldsign
-- checks its length against the digest type and the configured allow-lists.
CREATE TABLE domain_ds (
    domain_id   bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    key_tag     integer NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
    algorithm   smallint NOT NULL CHECK (algorithm BETWEEN 0 AND 255),
    digest_type smallint NOT NULL CHECK (digest_type BETWEEN 0 AND 255),
    digest      text NOT NULL,
    PRIMARY KEY (domain_id, key_tag, algorithm, digest_type, digest)
);

-- RFC 5910 keyData: tldsign computes the DS (zonegen.keydata-digest).
CREATE TABLE domain_key (
    domain_id   bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    flags       integer NOT NULL CHECK (flags BETWEEN 0 AND 65535),
    protocol    smallint NOT NULL DEFAULT 3,
    algorithm   smallint NOT NULL CHECK (algorithm BETWEEN 0 AND 255),
    public_key  text NOT NULL,            -- base64
    PRIMARY KEY (domain_id, flags, protocol, algorithm, public_key)
);

COMMIT;
