// Store on SQLite: the shared behaviour suite, with in-memory databases (and files in a temporary
// folder where a database must outlive the store).
#include "StoreTestSuite.h"

#include <QTemporaryDir>

using namespace Qt::StringLiterals;

class TestStore : public switchboard::testing::StoreTestSuite
{
    Q_OBJECT
protected:
    QString freshDatabaseUrl(bool persistent) override
    {
        if (!persistent)
            return u"sqlite::memory:"_s;
        return u"sqlite://"_s + m_dir.filePath(u"nested/dir/db-%1.sqlite"_s.arg(++m_files));
    }

private:
    QTemporaryDir m_dir;
    int m_files = 0;
};

QTEST_GUILESS_MAIN(TestStore)
#include "moc_StoreTestSuite.cpp"
#include "tst_store.moc"
