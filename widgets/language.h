// The interface language, switchable while tunebench runs (Language menu) and chosen at start
// (main.cpp): Spanish or English translators, QLocale's default (numbers, dates) and a
// LanguageChange to every widget.
//
// Why a recording translator: the panels build their texts in code with tr() at construction.
// tbui's translator records, for every text it hands out, the (context, source) it came from;
// on a language change retranslateWidgetTree() looks each static text of a window (labels,
// buttons, group boxes, tab titles, tooltips, placeholders, actions and menus, spin box
// affixes, item-view headers, chart axis labels, legend names and titles) up by its current
// text and sets the new language's translation. Texts with arguments filled in (%1) are not
// found: their panels refresh them (or handle QEvent::LanguageChange themselves, as the chat
// and About panels do). Combo box and list items are left alone: some panels use an item's
// text as a value (engine names, devices).
#pragma once

#include <QString>

class QWidget;

namespace tbui {

// Installs the translators of `code` ("" = the system locale, "en", "es"), makes its locale the
// default (number formatting) and that of every top-level widget, and so sends LanguageChange
// and LocaleChange to every widget. Works with a QCoreApplication too (--help).
void applyLanguage(const QString& code);

// The language applied last ("" = system default).
QString currentLanguage();

// Retranslates the static texts of `root` and all its children (see above).
void retranslateWidgetTree(QWidget* root);

// `value` as the current locale writes it (decimal comma in Spanish), without group
// separators, so that tables, exports and sorting see the same digits in every language:
// QLocale().toString(value, format, precision) with QLocale::OmitGroupSeparator.
QString localNumber(double value, char format = 'f', int precision = 2);

}  // namespace tbui
