/* Store a generic credential in the Windows Credential Manager, as the keyring crate's
 * windows-native store writes it (the secret as UTF-16), for the Windows tray test
 * (tests/tests/wine_tray.rs); a test harness tool, never shipped.
 *   store-credential.exe TARGET SECRET */
#include <windows.h>
#include <wincred.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv) {
  if (argc != 3) { fprintf(stderr, "usage: store-credential.exe TARGET SECRET\n"); return 2; }
  CREDENTIALW c = {0};
  c.Type = CRED_TYPE_GENERIC;
  c.TargetName = argv[1];
  c.CredentialBlobSize = (DWORD)(lstrlenW(argv[2]) * sizeof(wchar_t));
  c.CredentialBlob = (BYTE *)argv[2];
  c.Persist = CRED_PERSIST_ENTERPRISE;
  c.UserName = L"";
  if (!CredWriteW(&c, 0)) { fprintf(stderr, "CredWriteW failed: %lu\n", GetLastError()); return 1; }
  return 0;
}
