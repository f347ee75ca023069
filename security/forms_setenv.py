"""The form that takes the operator's own setenv file: uploaded, or pasted into the page."""

import base64
import binascii

from django import forms

from security.setenv import BAT, SH
from security.setenv_patch import MAX_BYTES, SetenvFile, SetenvFileError, read_setenv

KIND_LABELS = {SH: "setenv.sh (Linux/Unix host)", BAT: "setenv.bat (Windows host)"}


class SetenvUploadForm(forms.Form):
    kind = forms.ChoiceField(label="Which file", choices=list(KIND_LABELS.items()))
    file = forms.FileField(
        label="Upload it", required=False,
        help_text=f"An uploaded file keeps its bytes: line endings, encoding, final newline. At most "
                  f"{MAX_BYTES // 1024} KB, UTF-8 or ASCII. Nothing is stored.",
    )
    text = forms.CharField(
        label="or paste it here", required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono", "spellcheck": "false"}),
        help_text="A browser sends pasted text with Windows line endings: the console uses LF for setenv.sh and CRLF "
                  "for setenv.bat. Upload the file to keep its own.",
    )

    def __init__(self, *args, kinds: tuple[str, ...] = (SH, BAT), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, KIND_LABELS[kind]) for kind in kinds]
        self.fields["kind"].initial = kinds[0]
        if len(kinds) == 1:
            # The host says which file it is: nothing to choose.
            self.fields["kind"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        upload, text, kind = data.get("file"), data.get("text") or "", data.get("kind")
        if self.errors:
            return data
        if upload and text.strip():
            raise forms.ValidationError("Upload the file or paste it, not both.")
        if upload:
            if upload.size > MAX_BYTES:
                raise forms.ValidationError(f"{upload.name} is {upload.size:,} bytes; a setenv file may be at most "
                                            f"{MAX_BYTES:,} bytes.")
            raw, data["pasted"] = upload.read(), False
        elif text.strip():
            newline = "\r\n" if kind == BAT else "\n"
            normalised = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline)
            raw, data["pasted"] = normalised.encode("utf-8"), True
        else:
            raise forms.ValidationError("Upload the setenv file your release ships, or paste it.")
        try:
            data["source"] = read_setenv(raw, kind)
        except SetenvFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


class SetenvPatchedForm(forms.Form):
    """The download of a patched file: the upload again (base64) and the digest of what was shown."""

    kind = forms.ChoiceField(choices=list(KIND_LABELS.items()))
    original = forms.CharField(widget=forms.HiddenInput, max_length=MAX_BYTES * 2)
    shown = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            raw = base64.b64decode(data["original"], validate=True)
            data["source"] = read_setenv(raw, data["kind"])
        except (binascii.Error, ValueError, SetenvFileError):
            raise forms.ValidationError("The file to patch did not come back intact: upload it again.") from None
        return data


def source_field(source: SetenvFile) -> str:
    return base64.b64encode(source.encode(source.text)).decode()
