// Placeholder until the console issue: opens an empty window that says what is coming.
#include <QApplication>
#include <QLabel>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QLabel label(QApplication::translate("main", "The Switchboard console is not built yet."));
    label.setMargin(24);
    label.show();
    return QApplication::exec();
}
