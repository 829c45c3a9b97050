"""A form for one settings section, built from its dataclass: each field's type picks the
editor (bool: check box, Enum: list, number: spin box with the range from `metadata`, text:
a line), its label and help come from `metadata`. One schema, read by the dialog and the
store alike; a field added to a section appears here without UI code."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any, get_type_hints

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QWidget,
)

# Words for enum values a user sees (the stored values stay as they are).
ENUM_WORDS: dict[str, str] = {"builtin": "Built in (Gangway runs the plugin)",
                              "cli": "AWS CLI (aws ssm start-session)",
                              "system": "Follow the system", "light": "Light", "dark": "Dark"}


def _label(field: dataclasses.Field[Any]) -> str:
    return str(field.metadata.get("label") or field.name.replace("_", " ").capitalize())


def _member(kind: type[enum.Enum], combo: QComboBox) -> Callable[[], enum.Enum]:
    # Qt hands a StrEnum back as its plain value; the section wants the member.
    return lambda: kind(combo.currentData())


def _stripped(line: QLineEdit) -> Callable[[], str]:
    return lambda: line.text().strip()


class NumberBox(QDoubleSpinBox):
    """A spin box for hours and minutes that shows "12" and "0.25", not "12.00"."""

    def textFromValue(self, value: float) -> str:
        text = self.locale().toString(float(value), "f", self.decimals())
        point = self.locale().decimalPoint()
        return text.rstrip("0").rstrip(point) if point in text else text


class SectionForm(QWidget):
    """`value()` gives a new section instance; unknown types are left untouched."""

    def __init__(self, cls: type[Any], current: Any,
                 custom: dict[str, Callable[[Any], QWidget]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cls, self.current = cls, current
        self.editors: dict[str, QWidget] = {}
        self.readers: dict[str, Callable[[], Any]] = {}
        hints = get_type_hints(cls)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for field in dataclasses.fields(cls):
            kind, value = hints[field.name], getattr(current, field.name)
            help_text = str(field.metadata.get("help", ""))
            if custom and field.name in custom:
                editor = custom[field.name](value)
                self.readers[field.name] = getattr(editor, "value")  # noqa: B009
                form.addRow(_label(field) + ":", editor)
            elif kind is bool:
                box = QCheckBox(_label(field))
                box.setChecked(bool(value))
                editor, self.readers[field.name] = box, box.isChecked
                form.addRow(box)
            elif isinstance(kind, type) and issubclass(kind, enum.Enum):
                combo = QComboBox()
                for member in kind:
                    combo.addItem(ENUM_WORDS.get(str(member.value), str(member.value)), member)
                combo.setCurrentIndex(combo.findData(value))
                editor = combo
                self.readers[field.name] = _member(kind, combo)
                form.addRow(_label(field) + ":", combo)
            elif kind in (int, float):
                spin: QSpinBox | QDoubleSpinBox = QSpinBox() if kind is int else NumberBox()
                if "min" in field.metadata:
                    spin.setRange(field.metadata["min"], field.metadata["max"])
                if isinstance(spin, QDoubleSpinBox):
                    spin.setDecimals(2)
                    spin.setSingleStep(0.25)
                spin.setValue(value)
                editor, self.readers[field.name] = spin, spin.value
                form.addRow(_label(field) + ":", spin)
            elif kind is str:
                line = QLineEdit(str(value))
                editor, self.readers[field.name] = line, _stripped(line)
                form.addRow(_label(field) + ":", line)
            else:
                continue
            if help_text:
                editor.setToolTip(help_text)
                note = QLabel(help_text)
                note.setTextFormat(Qt.TextFormat.PlainText)
                note.setWordWrap(True)
                note.setStyleSheet("color: palette(placeholder-text);")
                # The whole field column, not its size hint: a hint under a short combo box
                # would otherwise wrap every few words.
                note.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
                if kind is bool:  # under the check box's text, the full width
                    note.setIndent(self.style().pixelMetric(
                        QStyle.PixelMetric.PM_IndicatorWidth) + 6)
                    form.addRow(note)
                else:
                    form.addRow("", note)
            editor.setObjectName(field.name)
            self.editors[field.name] = editor

    def value(self) -> Any:
        return dataclasses.replace(self.current, **{k: read() for k, read in self.readers.items()})
