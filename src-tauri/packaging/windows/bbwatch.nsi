; bbwatch's Windows setup, built by scripts/package.sh with Debian's makensis (package nsis):
;   makensis -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DSTAGE=<dir> -DOUTFILE=<setup.exe> bbwatch.nsi
; STAGE holds what is installed: bbwatch-desktop.exe, bbwatch.exe, WebView2Loader.dll,
; bbwatch.ico, bbwatch.png and the documents.
;
; Per user, no administrator rights: everything goes into the user's own profile and HKCU.
;   files         %LOCALAPPDATA%\Programs\bbwatch
;   Start menu    "bbwatch" (English) or 「bitbank メンテナンス監視 (bbwatch)」 (Japanese)
;   toasts        HKCU\Software\Classes\AppUserModelId\io.github.bbwatch.desktop, and the
;                 shortcut's System.AppUserModel.ID
;   Apps list     HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\bbwatch
; The uninstaller removes all of that, the start-at-login value the app writes (HKCU ...\Run,
; "bbwatch", when it points into this installation) and WebView2's cache of the app
; (%LOCALAPPDATA%\io.github.bbwatch.desktop); the user's settings (%APPDATA%\bbwatch) and
; history (%LOCALAPPDATA%\bbwatch) stay.

Unicode true
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!ifndef VERSION | STAGE | OUTFILE
  !error "define VERSION, STAGE and OUTFILE (scripts/package.sh does)"
!endif

!define APP "bbwatch"
!define AUMID "io.github.bbwatch.desktop"
!define PUBLISHER "the bbwatch authors"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"
!define AUMID_KEY "Software\Classes\AppUserModelId\${AUMID}"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define STARTUP_APPROVED_KEY "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
; The Evergreen WebView2 Runtime's client (Microsoft's "detect if a WebView2 Runtime is
; installed": per machine under WOW6432Node on 64-bit Windows, or per user).
!define WEBVIEW2_KEY "Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_URL "https://developer.microsoft.com/microsoft-edge/webview2/"
; The Start-menu entry's names, in both languages (src-tauri/packaging/bbwatch.desktop's).
!define NAME_EN "bbwatch"
!define NAME_JA "bitbank メンテナンス監視 (bbwatch)"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "StrFunc.nsh"
${UnStrStr}

Name "${APP}"
BrandingText "${APP} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
ShowInstDetails show
ShowUninstDetails show

!define MUI_ICON "${STAGE}\bbwatch.ico"
!define MUI_UNICON "${STAGE}\bbwatch.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\bbwatch-desktop.exe"
!define MUI_FINISHPAGE_RUN_TEXT "$(RunNow)"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The first language is the default; Japanese is chosen on a Japanese system.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Japanese"

LangString ShortcutName ${LANG_ENGLISH} "${NAME_EN}"
LangString ShortcutName ${LANG_JAPANESE} "${NAME_JA}"
LangString ShortcutComment ${LANG_ENGLISH} "Shows bitbank maintenance and outages in the tray"
LangString ShortcutComment ${LANG_JAPANESE} "bitbankのメンテナンスや障害をトレイでお知らせします"
LangString RunNow ${LANG_ENGLISH} "Start bbwatch (it goes into the notification area)"
LangString RunNow ${LANG_JAPANESE} "bbwatch を起動する（通知領域に表示されます）"
LangString WebView2Found ${LANG_ENGLISH} "WebView2 Runtime: found, version"
LangString WebView2Found ${LANG_JAPANESE} "WebView2 ランタイム: インストール済み、バージョン"
LangString WebView2Missing ${LANG_ENGLISH} "WebView2 Runtime: not installed. bbwatch's status and settings windows need it (the tray icon, notifications and bbwatch.exe do not). Install the Evergreen WebView2 Runtime from Microsoft: ${WEBVIEW2_URL}"
LangString WebView2Missing ${LANG_JAPANESE} "WebView2 ランタイム: 未インストール。bbwatch の状態ウィンドウと設定ウィンドウに必要です（トレイのアイコン、通知、bbwatch.exe には不要です）。Microsoft の Evergreen WebView2 ランタイムをインストールしてください: ${WEBVIEW2_URL}"
LangString WebView2Ask ${LANG_ENGLISH} "bbwatch's status and settings windows need the Microsoft Edge WebView2 Runtime, which is not installed on this PC. The tray icon and the notifications work without it.$\r$\n$\r$\nInstall the Evergreen WebView2 Runtime (the Evergreen Bootstrapper) from Microsoft:$\r$\n${WEBVIEW2_URL}$\r$\n$\r$\nOpen that page now?"
LangString WebView2Ask ${LANG_JAPANESE} "bbwatch の状態ウィンドウと設定ウィンドウには Microsoft Edge WebView2 ランタイムが必要ですが、この PC にはインストールされていません。トレイのアイコンと通知はなくても動作します。$\r$\n$\r$\nMicrosoft の Evergreen WebView2 ランタイム（Evergreen ブートストラッパー）を次のページからインストールしてください:$\r$\n${WEBVIEW2_URL}$\r$\n$\r$\n今このページを開きますか？"
LangString AumidFailed ${LANG_ENGLISH} "Could not set the shortcut's AppUserModelID (error"
LangString AumidFailed ${LANG_JAPANESE} "ショートカットに AppUserModelID を設定できませんでした（エラー"

VIProductVersion "${VERSION}.0"
VIFileVersion "${VERSION}.0"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APP}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APP} ${VERSION} setup"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "Copyright 2026 ${PUBLISHER}; MIT OR Apache-2.0"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"

; A running tray app (or its window) holds its files open: end it before replacing or removing
; them. First it is asked to quit as its menu's Quit does (`--quit`: its icon leaves the tray
; at once; with none running it only exits), then whatever is left is ended. bbwatch.exe (a
; bot's `bbwatch serve`, say) is left alone.
!macro StopTrayApp
  IfFileExists "$INSTDIR\bbwatch-desktop.exe" 0 +3
    ExecWait '"$INSTDIR\bbwatch-desktop.exe" --quit'
    Sleep 1000
  nsExec::ExecToLog '"$SYSDIR\taskkill.exe" /F /IM bbwatch-desktop.exe'
  Pop $0
!macroend

; Sets System.AppUserModel.ID on the shortcut at $0 to ${AUMID} (IShellLink, IPersistFile and
; IPropertyStore through NSIS's own System plugin); $1 is 0 or the failing HRESULT.
Function SetShortcutAumid
  Push $2
  Push $3
  Push $4
  Push $5
  Push $6
  StrCpy $2 0
  StrCpy $3 0
  StrCpy $4 0
  ; CLSID_ShellLink, IID_IShellLinkW
  System::Call 'ole32::CoCreateInstance(g "{00021401-0000-0000-C000-000000000046}", p 0, i 1, g "{000214F9-0000-0000-C000-000000000046}", *p .r2) i .r1'
  ${If} $1 = 0
    ; IShellLinkW::QueryInterface(IID_IPersistFile)
    System::Call '$2->0(g "{0000010b-0000-0000-C000-000000000046}", *p .r3) i .r1'
  ${EndIf}
  ${If} $1 = 0
    ; IPersistFile::Load(path, STGM_READWRITE)
    System::Call '$3->5(w r0, i 2) i .r1'
  ${EndIf}
  ${If} $1 = 0
    ; IShellLinkW::QueryInterface(IID_IPropertyStore)
    System::Call '$2->0(g "{886D8EEB-8CF2-4446-8D02-CDBA1DBDCF99}", *p .r4) i .r1'
  ${EndIf}
  ${If} $1 = 0
    ; PKEY_AppUserModel_ID = {9F4C2855-9F79-4B39-A8D0-E1D42DE1D5F3}, 5, and a PROPVARIANT
    ; of type VT_LPWSTR (31) pointing at the ID.
    System::Call '*(&g16 "{9F4C2855-9F79-4B39-A8D0-E1D42DE1D5F3}", i 5) p .r5'
    System::Call '*(&w64 "${AUMID}") p .r6'
    System::Call '*(&i2 31, &i2 0, &i2 0, &i2 0, p r6, p 0) p .r0'
    ; IPropertyStore::SetValue, ::Commit, then IPersistFile::Save(NULL, TRUE)
    System::Call '$4->6(p r5, p r0) i .r1'
    ${If} $1 = 0
      System::Call '$4->7() i .r1'
    ${EndIf}
    ${If} $1 = 0
      System::Call '$3->6(p 0, i 1) i .r1'
    ${EndIf}
    System::Free $0
    System::Free $6
    System::Free $5
  ${EndIf}
  ${If} $4 P<> 0
    System::Call '$4->2()'
  ${EndIf}
  ${If} $3 P<> 0
    System::Call '$3->2()'
  ${EndIf}
  ${If} $2 P<> 0
    System::Call '$2->2()'
  ${EndIf}
  Pop $6
  Pop $5
  Pop $4
  Pop $3
  Pop $2
FunctionEnd

Section "bbwatch" SecMain
  SectionIn RO
  SetShellVarContext current
  !insertmacro StopTrayApp
  SetOutPath "$INSTDIR"
  File "${STAGE}\bbwatch-desktop.exe"
  File "${STAGE}\bbwatch.exe"
  File "${STAGE}\WebView2Loader.dll"
  File "${STAGE}\bbwatch.ico"
  File "${STAGE}\bbwatch.png"
  File "${STAGE}\README.md"
  File "${STAGE}\CHANGELOG.md"
  File "${STAGE}\BOTS.md"
  File "${STAGE}\LICENSE-MIT.txt"
  File "${STAGE}\LICENSE-APACHE.txt"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; One Start-menu entry, in the user's language; the other language's from an earlier
  ; install goes.
  Delete "$SMPROGRAMS\${NAME_EN}.lnk"
  Delete "$SMPROGRAMS\${NAME_JA}.lnk"
  CreateShortcut "$SMPROGRAMS\$(ShortcutName).lnk" "$INSTDIR\bbwatch-desktop.exe" "" \
    "$INSTDIR\bbwatch-desktop.exe" 0 SW_SHOWNORMAL "" "$(ShortcutComment)"
  StrCpy $0 "$SMPROGRAMS\$(ShortcutName).lnk"
  Call SetShortcutAumid
  ${If} $1 = 0
    StrCpy $R8 "AppUserModelID ${AUMID}: $SMPROGRAMS\$(ShortcutName).lnk"
  ${Else}
    IntFmt $1 "0x%08X" $1
    StrCpy $R8 "$(AumidFailed) $1): $SMPROGRAMS\$(ShortcutName).lnk"
  ${EndIf}
  DetailPrint "$R8"

  ; Toasts from an unpackaged app: its AppUserModelID, with the name and icon they show.
  WriteRegStr HKCU "${AUMID_KEY}" "DisplayName" "$(ShortcutName)"
  WriteRegExpandStr HKCU "${AUMID_KEY}" "IconUri" "$INSTDIR\bbwatch.png"

  ; Settings > Apps (Add/Remove Programs), for this user.
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\bbwatch-desktop.exe,0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" $0

  ; WebView2: nothing is downloaded; where it is missing the user is told what to install
  ; (in the details, in install.log beside the app, and with a question unless silent).
  ; install.log also says whether the shortcut got its AppUserModelID.
  SetRegView 64
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\${WEBVIEW2_KEY}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKLM "SOFTWARE\${WEBVIEW2_KEY}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\${WEBVIEW2_KEY}" "pv"
  ${EndIf}
  ${If} $0 == "0.0.0.0"
    StrCpy $0 ""
  ${EndIf}
  ${If} $0 != ""
    StrCpy $1 "$(WebView2Found) $0"
  ${Else}
    StrCpy $1 "$(WebView2Missing)"
  ${EndIf}
  DetailPrint "$1"
  FileOpen $2 "$INSTDIR\install.log" w
  FileWriteUTF16LE /BOM $2 "${APP} ${VERSION}$\r$\n$1$\r$\n$R8$\r$\n"
  FileClose $2
  ${If} $0 == ""
  ${AndIfNot} ${Silent}
    MessageBox MB_YESNO|MB_ICONINFORMATION "$(WebView2Ask)" /SD IDNO IDNO +2
    ExecShell "open" "${WEBVIEW2_URL}"
  ${EndIf}
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  !insertmacro StopTrayApp

  Delete "$INSTDIR\bbwatch-desktop.exe"
  Delete "$INSTDIR\bbwatch.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\bbwatch.ico"
  Delete "$INSTDIR\bbwatch.png"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\CHANGELOG.md"
  Delete "$INSTDIR\BOTS.md"
  Delete "$INSTDIR\LICENSE-MIT.txt"
  Delete "$INSTDIR\LICENSE-APACHE.txt"
  Delete "$INSTDIR\install.log"
  Delete "$INSTDIR\uninstall.exe"
  ; Only if empty: what the user put there is theirs.
  RMDir "$INSTDIR"

  Delete "$SMPROGRAMS\${NAME_EN}.lnk"
  Delete "$SMPROGRAMS\${NAME_JA}.lnk"

  ; Start at login (tauri-plugin-autostart: the value is the product name), when it starts
  ; this installation's app.
  ReadRegStr $0 HKCU "${RUN_KEY}" "${APP}"
  ${UnStrStr} $1 $0 "$INSTDIR\"
  ${If} $0 != ""
  ${AndIf} $1 != ""
    DeleteRegValue HKCU "${RUN_KEY}" "${APP}"
    DeleteRegValue HKCU "${STARTUP_APPROVED_KEY}" "${APP}"
  ${EndIf}

  DeleteRegKey HKCU "${AUMID_KEY}"
  DeleteRegKey HKCU "${UNINST_KEY}"

  ; WebView2's cache and cookies for the app's window (named by the app's identifier): not
  ; the user's settings (%APPDATA%\bbwatch) nor history (%LOCALAPPDATA%\bbwatch), which stay.
  RMDir /r "$LOCALAPPDATA\${AUMID}"
SectionEnd
