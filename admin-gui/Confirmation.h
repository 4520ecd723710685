// Asks the operator to confirm a consequential action (broadcasts, rejecting an agent). A
// function so that tests answer without a modal box.
#pragma once

#include <QMessageBox>
#include <QString>
#include <QWidget>

#include <functional>

namespace switchboard::console {

using ConfirmFunction = std::function<bool(QWidget *parent, const QString &title, const QString &text)>;

inline ConfirmFunction messageBoxConfirmation()
{
    return [](QWidget *parent, const QString &title, const QString &text) {
        return QMessageBox::question(parent, title, text, QMessageBox::Yes | QMessageBox::Cancel,
                                     QMessageBox::Cancel) == QMessageBox::Yes;
    };
}

} // namespace switchboard::console
