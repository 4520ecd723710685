<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE" sourcelanguage="en_GB">
    <context>
        <name>main</name>
        <message>
            <source>Language (de, fr, en); default: the system's.</source>
            <translation>Sprache (de, fr, en); Standard: die des Systems.</translation>
        </message>
        <message>
            <source>Server URL to connect to (asks for a token).</source>
            <translation>Server-URL, mit der verbunden wird (fragt nach einem Token).</translation>
        </message>
        <message>
            <source>Use the system style only.</source>
            <translation>Nur den Systemstil verwenden.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::AgentTableModel</name>
        <message>
            <source>%1 CPU, %2 memory</source>
            <translation>%1 CPU, %2 Arbeitsspeicher</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Organisation</source>
            <translation>Organisation</translation>
        </message>
        <message>
            <source>Platform</source>
            <translation>Plattform</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Region</translation>
        </message>
        <message>
            <source>Last heartbeat</source>
            <translation>Letzter Heartbeat</translation>
        </message>
        <message>
            <source>Sessions</source>
            <translation>Sitzungen</translation>
        </message>
        <message>
            <source>Replica</source>
            <translation>Replikat</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::AgentsView</name>
        <message>
            <source>Filter agents (id, org, region, replica…)</source>
            <translation>Agenten filtern (ID, Organisation, Region, Replikat…)</translation>
        </message>
        <message>
            <source>All statuses</source>
            <translation>Alle Status</translation>
        </message>
        <message>
            <source>Status:</source>
            <translation>Status:</translation>
        </message>
        <message>
            <source>&amp;Approve</source>
            <translation>&amp;Freigeben</translation>
        </message>
        <message>
            <source>&amp;Reject…</source>
            <translation>&amp;Ablehnen…</translation>
        </message>
        <message>
            <source>&amp;Send command…</source>
            <translation>Befehl &amp;senden…</translation>
        </message>
        <message>
            <source>&amp;Copy agent id</source>
            <translation>Agenten-ID &amp;kopieren</translation>
        </message>
        <message>
            <source>Reject agent</source>
            <translation>Agent ablehnen</translation>
        </message>
        <message>
            <source>Reject agent %1? It will be disconnected and cannot connect again until approved.</source>
            <translation>Agent %1 ablehnen? Er wird getrennt und kann sich erst nach einer Freigabe wieder verbinden.</translation>
        </message>
        <message>
            <source>Agent %1 approved.</source>
            <translation>Agent %1 freigegeben.</translation>
        </message>
        <message>
            <source>Agent %1 rejected.</source>
            <translation>Agent %1 abgelehnt.</translation>
        </message>
        <message>
            <source>Could not change agent %1: %2</source>
            <translation>Agent %1 konnte nicht geändert werden: %2</translation>
        </message>
        <message>
            <source>The server did not answer about agent %1.</source>
            <translation>Der Server hat zu Agent %1 nicht geantwortet.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::BroadcastDialog</name>
        <message>
            <source>Broadcast to agents</source>
            <translation>Rundsendung an Agenten</translation>
        </message>
        <message>
            <source>(nobody)</source>
            <translation>(niemand)</translation>
        </message>
        <message>
            <source>Ask the agents to shut down (sends shutdown instead of a notice)</source>
            <translation>Agenten zum Herunterfahren auffordern (sendet shutdown statt eines Hinweises)</translation>
        </message>
        <message>
            <source>Message every connected agent logs, e.g. "Maintenance at 22:00 UTC"</source>
            <translation>Nachricht, die jeder verbundene Agent protokolliert, z. B. „Wartung um 22:00 UTC“</translation>
        </message>
        <message>
            <source>&amp;Message:</source>
            <translation>&amp;Nachricht:</translation>
        </message>
        <message>
            <source>&amp;Except:</source>
            <translation>&amp;Außer:</translation>
        </message>
        <message>
            <source>Announce to an organisation</source>
            <translation>Ankündigung an eine Organisation</translation>
        </message>
        <message>
            <source>Send the text as a JSON value</source>
            <translation>Text als JSON-Wert senden</translation>
        </message>
        <message>
            <source>Shown to every connected client of the organisation</source>
            <translation>Wird jedem verbundenen Client der Organisation angezeigt</translation>
        </message>
        <message>
            <source>&amp;Organisation:</source>
            <translation>&amp;Organisation:</translation>
        </message>
        <message>
            <source>&amp;Announcement:</source>
            <translation>&amp;Ankündigung:</translation>
        </message>
        <message>
            <source>&amp;Send…</source>
            <translation>&amp;Senden…</translation>
        </message>
        <message>
            <source>Invalid JSON: %1</source>
            <translation>Ungültiges JSON: %1</translation>
        </message>
        <message>
            <source>The announcement cannot be null.</source>
            <translation>Die Ankündigung darf nicht null sein.</translation>
        </message>
        <message>
            <source>Write a message.</source>
            <translation>Schreiben Sie eine Nachricht.</translation>
        </message>
        <message>
            <source>The message is longer than 4096 characters.</source>
            <translation>Die Nachricht ist länger als 4096 Zeichen.</translation>
        </message>
        <message>
            <source>Choose an organisation.</source>
            <translation>Wählen Sie eine Organisation.</translation>
        </message>
        <message>
            <source>The announcement is larger than 16 KiB.</source>
            <translation>Die Ankündigung ist größer als 16 KiB.</translation>
        </message>
        <message>
            <source>Ask every connected agent to shut down?</source>
            <translation>Alle verbundenen Agenten zum Herunterfahren auffordern?</translation>
        </message>
        <message>
            <source>Send this message to every connected agent?</source>
            <translation>Diese Nachricht an alle verbundenen Agenten senden?</translation>
        </message>
        <message>
            <source>(except %1)</source>
            <translation>(außer %1)</translation>
        </message>
        <message>
            <source>Send this announcement to every connected client of %1?</source>
            <translation>Diese Ankündigung an alle verbundenen Clients von %1 senden?</translation>
        </message>
        <message>
            <source>Sending…</source>
            <translation>Wird gesendet…</translation>
        </message>
        <message>
            <source>The server refused it: %1</source>
            <translation>Der Server hat abgelehnt: %1</translation>
        </message>
        <message>
            <source>The server did not answer in time.</source>
            <translation>Der Server hat nicht rechtzeitig geantwortet.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::CommandTableModel</name>
        <message>
            <source>Created</source>
            <translation>Erstellt</translation>
        </message>
        <message>
            <source>Command</source>
            <translation>Befehl</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>Aktion</translation>
        </message>
        <message>
            <source>Session</source>
            <translation>Sitzung</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Attempts</source>
            <translation>Versuche</translation>
        </message>
        <message>
            <source>Result or error</source>
            <translation>Ergebnis oder Fehler</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::CommandsView</name>
        <message>
            <source>Filter commands (id, agent, action, session, status…)</source>
            <translation>Befehle filtern (ID, Agent, Aktion, Sitzung, Status…)</translation>
        </message>
        <message>
            <source>C&amp;ancel command</source>
            <translation>Befehl &amp;abbrechen</translation>
        </message>
        <message>
            <source>Command %1 cancelled.</source>
            <translation>Befehl %1 abgebrochen.</translation>
        </message>
        <message>
            <source>Could not cancel %1: %2</source>
            <translation>%1 konnte nicht abgebrochen werden: %2</translation>
        </message>
        <message>
            <source>&amp;Copy command id</source>
            <translation>Befehls-ID &amp;kopieren</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::ConnectDialog</name>
        <message>
            <source>&amp;Remember the token on this computer</source>
            <translation>Token auf diesem Computer &amp;merken</translation>
        </message>
        <message>
            <source>Connect to a Switchboard server</source>
            <translation>Mit einem Switchboard-Server verbinden</translation>
        </message>
        <message>
            <source>JWT with role admin or operator</source>
            <translation>JWT mit der Rolle admin oder operator</translation>
        </message>
        <message>
            <source>Stored in the console's settings file; leave unticked to be asked each time.</source>
            <translation>Wird in der Einstellungsdatei der Konsole gespeichert; nicht ankreuzen, um jedes Mal gefragt zu werden.</translation>
        </message>
        <message>
            <source>Create a token with: switchboard-server token issue --user YOU --org ORG --role admin</source>
            <translation>Token erstellen mit: switchboard-server token issue --user SIE --org ORG --role admin</translation>
        </message>
        <message>
            <source>&amp;Connect</source>
            <translation>&amp;Verbinden</translation>
        </message>
        <message>
            <source>&amp;Server:</source>
            <translation>&amp;Server:</translation>
        </message>
        <message>
            <source>&amp;Token:</source>
            <translation>&amp;Token:</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::ConsoleClient</name>
        <message>
            <source>Disconnected</source>
            <translation>Getrennt</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>Verbinde…</translation>
        </message>
        <message>
            <source>Connected</source>
            <translation>Verbunden</translation>
        </message>
        <message>
            <source>Reconnecting…</source>
            <translation>Verbinde erneut…</translation>
        </message>
        <message>
            <source>The server sent a binary frame.</source>
            <translation>Der Server hat einen Binär-Frame gesendet.</translation>
        </message>
        <message>
            <source>Disconnected from the server.</source>
            <translation>Vom Server getrennt.</translation>
        </message>
        <message>
            <source>The connection to the server was lost.</source>
            <translation>Die Verbindung zum Server ist abgebrochen.</translation>
        </message>
        <message>
            <source>Not connected to a server.</source>
            <translation>Nicht mit einem Server verbunden.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::ConsoleModels</name>
        <message>
            <source>%1 was removed</source>
            <translation>%1 wurde entfernt</translation>
        </message>
        <message>
            <source>Events of %1 could not be replayed after the reconnect; its state was reloaded.</source>
            <translation>Die Ereignisse von %1 konnten nach dem erneuten Verbinden nicht nachgeliefert werden; der Zustand wurde neu geladen.</translation>
        </message>
        <message>
            <source>Server error: %1</source>
            <translation>Serverfehler: %1</translation>
        </message>
        <message numerus="yes">
            <source>The server listed only %n session(s) that had not ended; the organisations view may be missing some until their next event.</source>
            <translation>
                <numerusform>Der Server hat nur %n nicht beendete Sitzung aufgeführt; in der Organisationsansicht können bis zu ihrem nächsten Ereignis Sitzungen fehlen.</numerusform>
                <numerusform>Der Server hat nur %n nicht beendete Sitzungen aufgeführt; in der Organisationsansicht können bis zu ihrem nächsten Ereignis Sitzungen fehlen.</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::EventLogModel</name>
        <message>
            <source>Session</source>
            <translation>Sitzung</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Command</source>
            <translation>Befehl</translation>
        </message>
        <message>
            <source>Organisation</source>
            <translation>Organisation</translation>
        </message>
        <message>
            <source>Connection</source>
            <translation>Verbindung</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Zeit</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>Typ</translation>
        </message>
        <message>
            <source>Summary</source>
            <translation>Zusammenfassung</translation>
        </message>
        <message>
            <source>%1 (user %2)</source>
            <translation>%1 (Benutzer %2)</translation>
        </message>
        <message>
            <source>%1: %2 → %3</source>
            <translation>%1: %2 → %3</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1: %2</translation>
        </message>
        <message>
            <source>%1: connection %2</source>
            <translation>%1: Verbindung %2</translation>
        </message>
        <message>
            <source>%1 appeared (%2)</source>
            <translation>%1 ist erschienen (%2)</translation>
        </message>
        <message>
            <source>%1 %2 on %3: %4</source>
            <translation>%1 %2 auf %3: %4</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::EventLogView</name>
        <message>
            <source>Paused</source>
            <translation>Angehalten</translation>
        </message>
        <message>
            <source>Filter events (type, organisation, text)…</source>
            <translation>Ereignisse filtern (Typ, Organisation, Text)…</translation>
        </message>
        <message>
            <source>All types</source>
            <translation>Alle Typen</translation>
        </message>
        <message>
            <source>All organisations</source>
            <translation>Alle Organisationen</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>Anhalten</translation>
        </message>
        <message>
            <source>Pause the log; new events wait and appear on resume (Ctrl+Shift+P)</source>
            <translation>Protokoll anhalten; neue Ereignisse warten und erscheinen beim Fortsetzen (Strg+Umschalt+P)</translation>
        </message>
        <message>
            <source>Export…</source>
            <translation>Exportieren…</translation>
        </message>
        <message>
            <source>Save the events shown as JSON lines</source>
            <translation>Angezeigte Ereignisse als JSON-Zeilen speichern</translation>
        </message>
        <message>
            <source>Clear</source>
            <translation>Leeren</translation>
        </message>
        <message>
            <source>Showing %1 of %2 events</source>
            <translation>%1 von %2 Ereignissen angezeigt</translation>
        </message>
        <message>
            <source>%1 older events dropped (keeping the last %2)</source>
            <translation>%1 ältere Ereignisse verworfen (die letzten %2 werden behalten)</translation>
        </message>
        <message numerus="yes">
            <source>Paused — %n event(s) waiting</source>
            <translation>
                <numerusform>Angehalten — %n Ereignis wartet</numerusform>
                <numerusform>Angehalten — %n Ereignisse warten</numerusform>
            </translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>Fortsetzen</translation>
        </message>
        <message>
            <source>Export events</source>
            <translation>Ereignisse exportieren</translation>
        </message>
        <message>
            <source>JSON lines (*.jsonl);;All files (*)</source>
            <translation>JSON-Zeilen (*.jsonl);;Alle Dateien (*)</translation>
        </message>
        <message>
            <source>Exported %1 events to %2.</source>
            <translation>%1 Ereignisse nach %2 exportiert.</translation>
        </message>
        <message>
            <source>Could not export the events: %1</source>
            <translation>Die Ereignisse konnten nicht exportiert werden: %1</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::LogDock</name>
        <message>
            <source>Log: %1</source>
            <translation>Protokoll: %1</translation>
        </message>
        <message>
            <source>Stop</source>
            <translation>Stoppen</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>Verbinde…</translation>
        </message>
        <message>
            <source>Streaming</source>
            <translation>Wird übertragen</translation>
        </message>
        <message>
            <source>Ended: %1</source>
            <translation>Beendet: %1</translation>
        </message>
        <message>
            <source>Error: %1</source>
            <translation>Fehler: %1</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::LogStream</name>
        <message>
            <source>The connection closed.</source>
            <translation>Die Verbindung wurde geschlossen.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::MainWindow</name>
        <message>
            <source>Switchboard Console</source>
            <translation>Switchboard-Konsole</translation>
        </message>
        <message>
            <source>&amp;Agents</source>
            <translation>&amp;Agenten</translation>
        </message>
        <message>
            <source>&amp;Organisations</source>
            <translation>&amp;Organisationen</translation>
        </message>
        <message>
            <source>Live &amp;events</source>
            <translation>Live-&amp;Ereignisse</translation>
        </message>
        <message>
            <source>Co&amp;mmands</source>
            <translation>&amp;Befehle</translation>
        </message>
        <message>
            <source>Metrics</source>
            <translation>Kennzahlen</translation>
        </message>
        <message>
            <source>Connection lost; retrying in %1 s.</source>
            <translation>Verbindung verloren; neuer Versuch in %1 s.</translation>
        </message>
        <message>
            <source>Connection error: %1</source>
            <translation>Verbindungsfehler: %1</translation>
        </message>
        <message>
            <source>&amp;File</source>
            <translation>&amp;Datei</translation>
        </message>
        <message>
            <source>&amp;Actions</source>
            <translation>A&amp;ktionen</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>&amp;Ansicht</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>&amp;Hilfe</translation>
        </message>
        <message>
            <source>Main</source>
            <translation>Haupt</translation>
        </message>
        <message>
            <source>&amp;Connect…</source>
            <translation>&amp;Verbinden…</translation>
        </message>
        <message>
            <source>Connect to a server (Ctrl+K)</source>
            <translation>Mit einem Server verbinden (Strg+K)</translation>
        </message>
        <message>
            <source>&amp;Disconnect</source>
            <translation>&amp;Trennen</translation>
        </message>
        <message>
            <source>&amp;Export events…</source>
            <translation>Ereignisse &amp;exportieren…</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>&amp;Beenden</translation>
        </message>
        <message>
            <source>&amp;Send command…</source>
            <translation>Befehl &amp;senden…</translation>
        </message>
        <message>
            <source>Send a command to an agent (Ctrl+Enter)</source>
            <translation>Einen Befehl an einen Agenten senden (Strg+Eingabe)</translation>
        </message>
        <message>
            <source>&amp;Broadcast to agents…</source>
            <translation>&amp;Rundsendung an Agenten…</translation>
        </message>
        <message>
            <source>&amp;Announce to an organisation…</source>
            <translation>&amp;Ankündigung an eine Organisation…</translation>
        </message>
        <message>
            <source>&amp;Pause events</source>
            <translation>Ereignisse an&amp;halten</translation>
        </message>
        <message>
            <source>&amp;Focus filter</source>
            <translation>&amp;Filter fokussieren</translation>
        </message>
        <message>
            <source>&amp;About Switchboard Console</source>
            <translation>Ü&amp;ber die Switchboard-Konsole</translation>
        </message>
        <message>
            <source>About Switchboard Console</source>
            <translation>Über die Switchboard-Konsole</translation>
        </message>
        <message>
            <source>&lt;h3&gt;Switchboard Console %1&lt;/h3&gt;&lt;p&gt;The operator's console for the Switchboard control plane: agents, organisations, live events and commands.&lt;/p&gt;</source>
            <translation>&lt;h3&gt;Switchboard-Konsole %1&lt;/h3&gt;&lt;p&gt;Die Betreiberkonsole für die Switchboard-Steuerungsebene: Agenten, Organisationen, Live-Ereignisse und Befehle.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>%1 — %2</source>
            <translation>%1 — %2</translation>
        </message>
        <message>
            <source>Switchboard Console — %1</source>
            <translation>Switchboard-Konsole — %1</translation>
        </message>
        <message>
            <source>%1 agents (%2 connected) · %3 clients · %4 sessions</source>
            <translation>%1 Agenten (%2 verbunden) · %3 Clients · %4 Sitzungen</translation>
        </message>
        <message>
            <source>Command %1 accepted by the server.</source>
            <translation>Befehl %1 vom Server angenommen.</translation>
        </message>
        <message numerus="yes">
            <source>Delivered to %n recipient(s).</source>
            <translation>
                <numerusform>An %n Empfänger zugestellt.</numerusform>
                <numerusform>An %n Empfänger zugestellt.</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::MetricsView</name>
        <message>
            <source>Connected agents</source>
            <translation>Verbundene Agenten</translation>
        </message>
        <message>
            <source>Browser clients</source>
            <translation>Browser-Clients</translation>
        </message>
        <message>
            <source>Messages per second</source>
            <translation>Nachrichten pro Sekunde</translation>
        </message>
        <message>
            <source>Waiting for the server's metrics (sent to administrators only).</source>
            <translation>Warte auf die Metriken des Servers (nur für Administratoren).</translation>
        </message>
        <message>
            <source>Now: %1 agents, %2 browser clients, %3 messages per second.</source>
            <translation>Jetzt: %1 Agenten, %2 Browser-Clients, %3 Nachrichten pro Sekunde.</translation>
        </message>
        <message>
            <source>Now: %1 agents, %2 browser clients; messages per second from the next sample on.</source>
            <translation>Jetzt: %1 Agenten, %2 Browser-Clients; Nachrichten pro Sekunde ab der nächsten Messung.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::OrgTreeModel</name>
        <message numerus="yes">
            <source>%n live session(s)</source>
            <translation>
                <numerusform>%n aktive Sitzung</numerusform>
                <numerusform>%n aktive Sitzungen</numerusform>
            </translation>
        </message>
        <message>
            <source>Organisation / user / session</source>
            <translation>Organisation / Benutzer / Sitzung</translation>
        </message>
        <message>
            <source>State</source>
            <translation>Zustand</translation>
        </message>
        <message>
            <source>Clients</source>
            <translation>Clients</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Template</source>
            <translation>Vorlage</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::OrgsView</name>
        <message>
            <source>Filter organisations, users and sessions…</source>
            <translation>Organisationen, Benutzer und Sitzungen filtern…</translation>
        </message>
        <message>
            <source>Open &amp;live log</source>
            <translation>&amp;Live-Protokoll öffnen</translation>
        </message>
        <message>
            <source>&amp;Stop session</source>
            <translation>Sitzung &amp;stoppen</translation>
        </message>
        <message>
            <source>&amp;Hibernate session</source>
            <translation>Sitzung in &amp;Ruhezustand versetzen</translation>
        </message>
        <message>
            <source>&amp;Wake session</source>
            <translation>Sitzung &amp;aufwecken</translation>
        </message>
        <message>
            <source>&amp;Expand all</source>
            <translation>Alle &amp;ausklappen</translation>
        </message>
        <message>
            <source>&amp;Collapse all</source>
            <translation>Alle &amp;einklappen</translation>
        </message>
        <message>
            <source>Command sent for session %1.</source>
            <translation>Befehl für Sitzung %1 gesendet.</translation>
        </message>
        <message>
            <source>Session %1: %2</source>
            <translation>Sitzung %1: %2</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::SendCommandDialog</name>
        <message>
            <source>Start session</source>
            <translation>Sitzung starten</translation>
        </message>
        <message>
            <source>Stop session</source>
            <translation>Sitzung stoppen</translation>
        </message>
        <message>
            <source>Hibernate session</source>
            <translation>Sitzung in Ruhezustand versetzen</translation>
        </message>
        <message>
            <source>Wake session</source>
            <translation>Sitzung aufwecken</translation>
        </message>
        <message>
            <source>Stream logs</source>
            <translation>Protokolle streamen</translation>
        </message>
        <message>
            <source>Stop streaming logs</source>
            <translation>Protokoll-Stream beenden</translation>
        </message>
        <message>
            <source>Send command</source>
            <translation>Befehl senden</translation>
        </message>
        <message>
            <source>&amp;Send</source>
            <translation>&amp;Senden</translation>
        </message>
        <message>
            <source>&amp;Agent:</source>
            <translation>&amp;Agent:</translation>
        </message>
        <message>
            <source>A&amp;ction:</source>
            <translation>A&amp;ktion:</translation>
        </message>
        <message>
            <source>&amp;Payload (JSON):</source>
            <translation>&amp;Nutzdaten (JSON):</translation>
        </message>
        <message>
            <source>Invalid JSON at character %1: %2</source>
            <translation>Ungültiges JSON bei Zeichen %1: %2</translation>
        </message>
        <message>
            <source>The payload must be a JSON object.</source>
            <translation>Die Nutzdaten müssen ein JSON-Objekt sein.</translation>
        </message>
        <message>
            <source>Choose an agent.</source>
            <translation>Wählen Sie einen Agenten.</translation>
        </message>
        <message>
            <source>Valid payload.</source>
            <translation>Gültige Nutzdaten.</translation>
        </message>
        <message>
            <source>Sending…</source>
            <translation>Wird gesendet…</translation>
        </message>
        <message>
            <source>The server refused the command: %1</source>
            <translation>Der Server hat den Befehl abgelehnt: %1</translation>
        </message>
        <message>
            <source>The server did not answer in time.</source>
            <translation>Der Server hat nicht rechtzeitig geantwortet.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::Status</name>
        <message>
            <source>Online</source>
            <translation>Online</translation>
        </message>
        <message>
            <source>Draining</source>
            <translation>Wird geleert</translation>
        </message>
        <message>
            <source>Stale</source>
            <translation>Veraltet</translation>
        </message>
        <message>
            <source>Offline</source>
            <translation>Offline</translation>
        </message>
        <message>
            <source>Pending approval</source>
            <translation>Freigabe ausstehend</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>Abgelehnt</translation>
        </message>
        <message>
            <source>Pending</source>
            <translation>Ausstehend</translation>
        </message>
        <message>
            <source>Sent</source>
            <translation>Gesendet</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>Bestätigt</translation>
        </message>
        <message>
            <source>Completed</source>
            <translation>Abgeschlossen</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>Fehlgeschlagen</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Abgebrochen</translation>
        </message>
        <message>
            <source>Running</source>
            <translation>Läuft</translation>
        </message>
        <message>
            <source>Terminating</source>
            <translation>Wird beendet</translation>
        </message>
        <message>
            <source>Terminated</source>
            <translation>Beendet</translation>
        </message>
        <message>
            <source>Hibernating</source>
            <translation>Geht in Ruhezustand</translation>
        </message>
        <message>
            <source>Hibernated</source>
            <translation>Im Ruhezustand</translation>
        </message>
        <message>
            <source>never</source>
            <translation>nie</translation>
        </message>
        <message>
            <source>%1 s ago</source>
            <translation>vor %1 s</translation>
        </message>
        <message>
            <source>%1 min ago</source>
            <translation>vor %1 min</translation>
        </message>
        <message>
            <source>%1 h ago</source>
            <translation>vor %1 h</translation>
        </message>
        <message>
            <source>%1 d ago</source>
            <translation>vor %1 T</translation>
        </message>
    </context>
</TS>
