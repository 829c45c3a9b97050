; Gangway's Windows installer (NSIS 3). Built by installers/windows/nsis.py, which passes:
;   /DVERSION=0.1.0 /DPAYLOAD=<the one-folder build> /DOUTFILE=<setup.exe> /DICON=<.ico>
;   /DFILES=<files.nsh> /DUNFILES=<unfiles.nsh>   (one File / Delete line per payload file)
;   /DSIGN="<command with %1>"   only when a signing certificate is configured
;
; Per user by default: no administrator prompt, installed to %LOCALAPPDATA%\Programs\Gangway.
; Settings and data live apart, in %LOCALAPPDATA%\gangway (platformdirs), so an upgrade in
; place keeps them and the uninstaller asks before removing them.

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "VERSION is not defined (use installers/windows/nsis.py)"
!endif

!define APPNAME "Gangway"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Gangway"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"

!ifdef SIGN
  !finalize '${SIGN}'
  !uninstfinalize '${SIGN}'
!endif

Name "${APPNAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Gangway"
InstallDirRegKey HKCU "Software\Gangway" "InstallDir"
BrandingText "${APPNAME} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APPNAME} installer"
VIAddVersionKey "CompanyName" "Gangway developers"
VIAddVersionKey "LegalCopyright" "MIT licence"

!include "MUI2.nsh"
!include "LogicLib.nsh"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\gangwayw.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start Gangway"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; A running program's image cannot be opened for writing: that is how we tell it is running
; (no plugin needed). Helpers started by ssh (`gangway proxy`) hold gangway.exe too.
!macro RefuseIfRunning un
  Function ${un}RefuseIfRunning
    ${ForEach} $R1 1 2 + 1
      ${If} $R1 == 1
        StrCpy $R2 "$INSTDIR\gangway.exe"
      ${Else}
        StrCpy $R2 "$INSTDIR\gangwayw.exe"
      ${EndIf}
      ${If} ${FileExists} "$R2"
        ClearErrors
        FileOpen $R0 "$R2" a
        ${If} ${Errors}
          MessageBox MB_OK|MB_ICONSTOP "Gangway is running.$\r$\n$\r$\nQuit it (tray icon > Quit Gangway) and close any ssh sessions that use it, then run this again." /SD IDOK
          Abort
        ${EndIf}
        FileClose $R0
      ${EndIf}
    ${Next}
  FunctionEnd
!macroend
!insertmacro RefuseIfRunning ""
!insertmacro RefuseIfRunning "un."

Section "Gangway" SecMain
  SectionIn RO
  Call RefuseIfRunning
  ; Upgrade in place: the program folder is ours alone, so old files go; settings stay.
  RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  !include "${FILES}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortCut "$SMPROGRAMS\Gangway.lnk" "$INSTDIR\gangwayw.exe" "" "$INSTDIR\gangwayw.exe" 0
  WriteRegStr HKCU "Software\Gangway" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "Gangway developers"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\gangwayw.exe"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  CreateShortCut "$DESKTOP\Gangway.lnk" "$INSTDIR\gangwayw.exe" "" "$INSTDIR\gangwayw.exe" 0
  WriteRegDWORD HKCU "Software\Gangway" "DesktopShortcut" 1
SectionEnd

Section /o "Start Gangway when I sign in" SecLogin
  WriteRegStr HKCU "${RUN_KEY}" "Gangway" '"$INSTDIR\gangwayw.exe"'
SectionEnd

Section "Uninstall"
  Call un.RefuseIfRunning
  ; Only what we installed: each payload file by name, then folders only if left empty.
  !include "${UNFILES}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Gangway.lnk"
  ReadRegDWORD $R0 HKCU "Software\Gangway" "DesktopShortcut"
  ${If} $R0 == 1
    Delete "$DESKTOP\Gangway.lnk"
  ${EndIf}
  ReadRegStr $R0 HKCU "${RUN_KEY}" "Gangway"
  ${If} $R0 != ""
    DeleteRegValue HKCU "${RUN_KEY}" "Gangway"
  ${EndIf}
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "Software\Gangway"
  ; User data: ask (silent uninstalls keep it). AWS and SSH files are never touched.
  ${If} ${FileExists} "$LOCALAPPDATA\gangway\*.*"
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also remove your Gangway settings, saved tunnels and logs?$\r$\n$\r$\n($LOCALAPPDATA\gangway. Your ~/.aws and ~/.ssh files, and secrets in Windows Credential Manager, are not touched.)" /SD IDNO IDNO keep
    RMDir /r "$LOCALAPPDATA\gangway"
    keep:
  ${EndIf}
SectionEnd
