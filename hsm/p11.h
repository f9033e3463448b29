/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The PKCS#11 (Cryptoki 2.40+) definitions, from p11-kit's header. */
#pragma once

#include <p11-kit-1/p11-kit/pkcs11.h>
