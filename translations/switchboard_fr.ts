<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR" sourcelanguage="en_GB">
    <context>
        <name>main</name>
        <message>
            <source>Language (de, fr, en); default: the system's.</source>
            <translation>Langue (de, fr, en) ; par défaut : celle du système.</translation>
        </message>
        <message>
            <source>Server URL to connect to (asks for a token).</source>
            <translation>URL du serveur auquel se connecter (demande un jeton).</translation>
        </message>
        <message>
            <source>Use the system style only.</source>
            <translation>Utiliser uniquement le style du système.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::AgentTableModel</name>
        <message>
            <source>%1 CPU, %2 memory</source>
            <translation>%1 CPU, %2 de mémoire</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>État</translation>
        </message>
        <message>
            <source>Organisation</source>
            <translation>Organisation</translation>
        </message>
        <message>
            <source>Platform</source>
            <translation>Plateforme</translation>
        </message>
        <message>
            <source>Region</source>
            <translation>Région</translation>
        </message>
        <message>
            <source>Last heartbeat</source>
            <translation>Dernier signal</translation>
        </message>
        <message>
            <source>Sessions</source>
            <translation>Sessions</translation>
        </message>
        <message>
            <source>Replica</source>
            <translation>Réplique</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::AgentsView</name>
        <message>
            <source>Filter agents (id, org, region, replica…)</source>
            <translation>Filtrer les agents (id, organisation, région, réplique…)</translation>
        </message>
        <message>
            <source>All statuses</source>
            <translation>Tous les états</translation>
        </message>
        <message>
            <source>Status:</source>
            <translation>État :</translation>
        </message>
        <message>
            <source>&amp;Approve</source>
            <translation>&amp;Approuver</translation>
        </message>
        <message>
            <source>&amp;Reject…</source>
            <translation>&amp;Rejeter…</translation>
        </message>
        <message>
            <source>&amp;Send command…</source>
            <translation>&amp;Envoyer une commande…</translation>
        </message>
        <message>
            <source>&amp;Copy agent id</source>
            <translation>&amp;Copier l’id de l’agent</translation>
        </message>
        <message>
            <source>Reject agent</source>
            <translation>Rejeter l’agent</translation>
        </message>
        <message>
            <source>Reject agent %1? It will be disconnected and cannot connect again until approved.</source>
            <translation>Rejeter l’agent %1 ? Il sera déconnecté et ne pourra plus se connecter tant qu’il n’est pas approuvé.</translation>
        </message>
        <message>
            <source>Agent %1 approved.</source>
            <translation>Agent %1 approuvé.</translation>
        </message>
        <message>
            <source>Agent %1 rejected.</source>
            <translation>Agent %1 rejeté.</translation>
        </message>
        <message>
            <source>Could not change agent %1: %2</source>
            <translation>Impossible de modifier l’agent %1 : %2</translation>
        </message>
        <message>
            <source>The server did not answer about agent %1.</source>
            <translation>Le serveur n’a pas répondu au sujet de l’agent %1.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::BroadcastDialog</name>
        <message>
            <source>Broadcast to agents</source>
            <translation>Diffusion aux agents</translation>
        </message>
        <message>
            <source>(nobody)</source>
            <translation>(personne)</translation>
        </message>
        <message>
            <source>Ask the agents to shut down (sends shutdown instead of a notice)</source>
            <translation>Demander aux agents de s’arrêter (envoie shutdown au lieu d’un avis)</translation>
        </message>
        <message>
            <source>Message every connected agent logs, e.g. "Maintenance at 22:00 UTC"</source>
            <translation>Message que chaque agent connecté journalise, p. ex. « Maintenance à 22:00 UTC »</translation>
        </message>
        <message>
            <source>&amp;Message:</source>
            <translation>&amp;Message :</translation>
        </message>
        <message>
            <source>&amp;Except:</source>
            <translation>&amp;Sauf :</translation>
        </message>
        <message>
            <source>Announce to an organisation</source>
            <translation>Annonce à une organisation</translation>
        </message>
        <message>
            <source>Send the text as a JSON value</source>
            <translation>Envoyer le texte comme valeur JSON</translation>
        </message>
        <message>
            <source>Shown to every connected client of the organisation</source>
            <translation>Affiché à chaque client connecté de l’organisation</translation>
        </message>
        <message>
            <source>&amp;Organisation:</source>
            <translation>&amp;Organisation :</translation>
        </message>
        <message>
            <source>&amp;Announcement:</source>
            <translation>&amp;Annonce :</translation>
        </message>
        <message>
            <source>&amp;Send…</source>
            <translation>&amp;Envoyer…</translation>
        </message>
        <message>
            <source>Invalid JSON: %1</source>
            <translation>JSON invalide : %1</translation>
        </message>
        <message>
            <source>The announcement cannot be null.</source>
            <translation>L’annonce ne peut pas être null.</translation>
        </message>
        <message>
            <source>Write a message.</source>
            <translation>Écrivez un message.</translation>
        </message>
        <message>
            <source>The message is longer than 4096 characters.</source>
            <translation>Le message dépasse 4096 caractères.</translation>
        </message>
        <message>
            <source>Choose an organisation.</source>
            <translation>Choisissez une organisation.</translation>
        </message>
        <message>
            <source>The announcement is larger than 16 KiB.</source>
            <translation>L’annonce dépasse 16 Kio.</translation>
        </message>
        <message>
            <source>Ask every connected agent to shut down?</source>
            <translation>Demander à chaque agent connecté de s’arrêter ?</translation>
        </message>
        <message>
            <source>Send this message to every connected agent?</source>
            <translation>Envoyer ce message à chaque agent connecté ?</translation>
        </message>
        <message>
            <source>(except %1)</source>
            <translation>(sauf %1)</translation>
        </message>
        <message>
            <source>Send this announcement to every connected client of %1?</source>
            <translation>Envoyer cette annonce à chaque client connecté de %1 ?</translation>
        </message>
        <message>
            <source>Sending…</source>
            <translation>Envoi…</translation>
        </message>
        <message>
            <source>The server refused it: %1</source>
            <translation>Le serveur a refusé : %1</translation>
        </message>
        <message>
            <source>The server did not answer in time.</source>
            <translation>Le serveur n’a pas répondu à temps.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::CommandTableModel</name>
        <message>
            <source>Created</source>
            <translation>Créée</translation>
        </message>
        <message>
            <source>Command</source>
            <translation>Commande</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>Action</translation>
        </message>
        <message>
            <source>Session</source>
            <translation>Session</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>État</translation>
        </message>
        <message>
            <source>Attempts</source>
            <translation>Tentatives</translation>
        </message>
        <message>
            <source>Result or error</source>
            <translation>Résultat ou erreur</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::CommandsView</name>
        <message>
            <source>Filter commands (id, agent, action, session, status…)</source>
            <translation>Filtrer les commandes (id, agent, action, session, état…)</translation>
        </message>
        <message>
            <source>C&amp;ancel command</source>
            <translation>&amp;Annuler la commande</translation>
        </message>
        <message>
            <source>Command %1 cancelled.</source>
            <translation>Commande %1 annulée.</translation>
        </message>
        <message>
            <source>Could not cancel %1: %2</source>
            <translation>Impossible d’annuler %1 : %2</translation>
        </message>
        <message>
            <source>&amp;Copy command id</source>
            <translation>&amp;Copier l’id de la commande</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::ConnectDialog</name>
        <message>
            <source>&amp;Remember the token on this computer</source>
            <translation>&amp;Mémoriser le jeton sur cet ordinateur</translation>
        </message>
        <message>
            <source>Connect to a Switchboard server</source>
            <translation>Se connecter à un serveur Switchboard</translation>
        </message>
        <message>
            <source>JWT with role admin or operator</source>
            <translation>JWT avec le rôle admin ou operator</translation>
        </message>
        <message>
            <source>Stored in the console's settings file; leave unticked to be asked each time.</source>
            <translation>Enregistré dans le fichier de paramètres de la console ; laissez décoché pour être invité à chaque fois.</translation>
        </message>
        <message>
            <source>Create a token with: switchboard-server token issue --user YOU --org ORG --role admin</source>
            <translation>Créez un jeton avec : switchboard-server token issue --user VOUS --org ORG --role admin</translation>
        </message>
        <message>
            <source>&amp;Connect</source>
            <translation>Se &amp;connecter</translation>
        </message>
        <message>
            <source>&amp;Server:</source>
            <translation>&amp;Serveur :</translation>
        </message>
        <message>
            <source>&amp;Token:</source>
            <translation>&amp;Jeton :</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::ConsoleClient</name>
        <message>
            <source>Disconnected</source>
            <translation>Déconnecté</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>Connexion…</translation>
        </message>
        <message>
            <source>Connected</source>
            <translation>Connecté</translation>
        </message>
        <message>
            <source>Reconnecting…</source>
            <translation>Reconnexion…</translation>
        </message>
        <message>
            <source>The server sent a binary frame.</source>
            <translation>Le serveur a envoyé une trame binaire.</translation>
        </message>
        <message>
            <source>Disconnected from the server.</source>
            <translation>Déconnecté du serveur.</translation>
        </message>
        <message>
            <source>The connection to the server was lost.</source>
            <translation>La connexion au serveur a été perdue.</translation>
        </message>
        <message>
            <source>Not connected to a server.</source>
            <translation>Pas connecté à un serveur.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::ConsoleModels</name>
        <message>
            <source>%1 was removed</source>
            <translation>%1 a été supprimé</translation>
        </message>
        <message>
            <source>Events of %1 could not be replayed after the reconnect; its state was reloaded.</source>
            <translation>Les événements de %1 n’ont pas pu être rejoués après la reconnexion ; son état a été rechargé.</translation>
        </message>
        <message>
            <source>Server error: %1</source>
            <translation>Erreur du serveur : %1</translation>
        </message>
        <message numerus="yes">
            <source>The server listed only %n session(s) that had not ended; the organisations view may be missing some until their next event.</source>
            <translation>
                <numerusform>Le serveur n’a listé que %n session non terminée ; des sessions peuvent manquer dans la vue des organisations jusqu’à leur prochain événement.</numerusform>
                <numerusform>Le serveur n’a listé que %n sessions non terminées ; des sessions peuvent manquer dans la vue des organisations jusqu’à leur prochain événement.</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::EventLogModel</name>
        <message>
            <source>Session</source>
            <translation>Session</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agent</translation>
        </message>
        <message>
            <source>Command</source>
            <translation>Commande</translation>
        </message>
        <message>
            <source>Organisation</source>
            <translation>Organisation</translation>
        </message>
        <message>
            <source>Connection</source>
            <translation>Connexion</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Heure</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <source>Summary</source>
            <translation>Résumé</translation>
        </message>
        <message>
            <source>%1 (user %2)</source>
            <translation>%1 (utilisateur %2)</translation>
        </message>
        <message>
            <source>%1: %2 → %3</source>
            <translation>%1 : %2 → %3</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1 : %2</translation>
        </message>
        <message>
            <source>%1: connection %2</source>
            <translation>%1 : connexion %2</translation>
        </message>
        <message>
            <source>%1 appeared (%2)</source>
            <translation>%1 est apparu (%2)</translation>
        </message>
        <message>
            <source>%1 %2 on %3: %4</source>
            <translation>%1 %2 sur %3 : %4</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::EventLogView</name>
        <message>
            <source>Paused</source>
            <translation>En pause</translation>
        </message>
        <message>
            <source>Filter events (type, organisation, text)…</source>
            <translation>Filtrer les événements (type, organisation, texte)…</translation>
        </message>
        <message>
            <source>All types</source>
            <translation>Tous les types</translation>
        </message>
        <message>
            <source>All organisations</source>
            <translation>Toutes les organisations</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>Pause</translation>
        </message>
        <message>
            <source>Pause the log; new events wait and appear on resume (Ctrl+Shift+P)</source>
            <translation>Mettre le journal en pause ; les nouveaux événements attendent et apparaissent à la reprise (Ctrl+Maj+P)</translation>
        </message>
        <message>
            <source>Export…</source>
            <translation>Exporter…</translation>
        </message>
        <message>
            <source>Save the events shown as JSON lines</source>
            <translation>Enregistrer les événements affichés en lignes JSON</translation>
        </message>
        <message>
            <source>Clear</source>
            <translation>Effacer</translation>
        </message>
        <message>
            <source>Showing %1 of %2 events</source>
            <translation>%1 événements affichés sur %2</translation>
        </message>
        <message>
            <source>%1 older events dropped (keeping the last %2)</source>
            <translation>%1 événements anciens supprimés (les %2 derniers sont conservés)</translation>
        </message>
        <message numerus="yes">
            <source>Paused — %n event(s) waiting</source>
            <translation>
                <numerusform>En pause — %n événement en attente</numerusform>
                <numerusform>En pause — %n événements en attente</numerusform>
            </translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>Reprendre</translation>
        </message>
        <message>
            <source>Export events</source>
            <translation>Exporter les événements</translation>
        </message>
        <message>
            <source>JSON lines (*.jsonl);;All files (*)</source>
            <translation>Lignes JSON (*.jsonl);;Tous les fichiers (*)</translation>
        </message>
        <message>
            <source>Exported %1 events to %2.</source>
            <translation>%1 événements exportés vers %2.</translation>
        </message>
        <message>
            <source>Could not export the events: %1</source>
            <translation>Impossible d’exporter les événements : %1</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::LogDock</name>
        <message>
            <source>Log: %1</source>
            <translation>Journal : %1</translation>
        </message>
        <message>
            <source>Stop</source>
            <translation>Arrêter</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>Connexion…</translation>
        </message>
        <message>
            <source>Streaming</source>
            <translation>Diffusion en cours</translation>
        </message>
        <message>
            <source>Ended: %1</source>
            <translation>Terminé : %1</translation>
        </message>
        <message>
            <source>Error: %1</source>
            <translation>Erreur : %1</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::LogStream</name>
        <message>
            <source>The connection closed.</source>
            <translation>La connexion a été fermée.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::MainWindow</name>
        <message>
            <source>Switchboard Console</source>
            <translation>Console Switchboard</translation>
        </message>
        <message>
            <source>&amp;Agents</source>
            <translation>&amp;Agents</translation>
        </message>
        <message>
            <source>&amp;Organisations</source>
            <translation>&amp;Organisations</translation>
        </message>
        <message>
            <source>Live &amp;events</source>
            <translation>&amp;Événements en direct</translation>
        </message>
        <message>
            <source>Co&amp;mmands</source>
            <translation>Co&amp;mmandes</translation>
        </message>
        <message>
            <source>Metrics</source>
            <translation>Métriques</translation>
        </message>
        <message>
            <source>Connection lost; retrying in %1 s.</source>
            <translation>Connexion perdue ; nouvel essai dans %1 s.</translation>
        </message>
        <message>
            <source>Connection error: %1</source>
            <translation>Erreur de connexion : %1</translation>
        </message>
        <message>
            <source>&amp;File</source>
            <translation>&amp;Fichier</translation>
        </message>
        <message>
            <source>&amp;Actions</source>
            <translation>&amp;Actions</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>Affic&amp;hage</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>&amp;Aide</translation>
        </message>
        <message>
            <source>Main</source>
            <translation>Principale</translation>
        </message>
        <message>
            <source>&amp;Connect…</source>
            <translation>Se &amp;connecter…</translation>
        </message>
        <message>
            <source>Connect to a server (Ctrl+K)</source>
            <translation>Se connecter à un serveur (Ctrl+K)</translation>
        </message>
        <message>
            <source>&amp;Disconnect</source>
            <translation>Se &amp;déconnecter</translation>
        </message>
        <message>
            <source>&amp;Export events…</source>
            <translation>&amp;Exporter les événements…</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>&amp;Quitter</translation>
        </message>
        <message>
            <source>&amp;Send command…</source>
            <translation>&amp;Envoyer une commande…</translation>
        </message>
        <message>
            <source>Send a command to an agent (Ctrl+Enter)</source>
            <translation>Envoyer une commande à un agent (Ctrl+Entrée)</translation>
        </message>
        <message>
            <source>&amp;Broadcast to agents…</source>
            <translation>&amp;Diffuser aux agents…</translation>
        </message>
        <message>
            <source>&amp;Announce to an organisation…</source>
            <translation>&amp;Annoncer à une organisation…</translation>
        </message>
        <message>
            <source>&amp;Pause events</source>
            <translation>&amp;Suspendre les événements</translation>
        </message>
        <message>
            <source>&amp;Focus filter</source>
            <translation>Aller au &amp;filtre</translation>
        </message>
        <message>
            <source>&amp;About Switchboard Console</source>
            <translation>À &amp;propos de la console Switchboard</translation>
        </message>
        <message>
            <source>About Switchboard Console</source>
            <translation>À propos de la console Switchboard</translation>
        </message>
        <message>
            <source>&lt;h3&gt;Switchboard Console %1&lt;/h3&gt;&lt;p&gt;The operator's console for the Switchboard control plane: agents, organisations, live events and commands.&lt;/p&gt;</source>
            <translation>&lt;h3&gt;Console Switchboard %1&lt;/h3&gt;&lt;p&gt;La console d’exploitation du plan de contrôle Switchboard : agents, organisations, événements en direct et commandes.&lt;/p&gt;</translation>
        </message>
        <message>
            <source>%1 — %2</source>
            <translation>%1 — %2</translation>
        </message>
        <message>
            <source>Switchboard Console — %1</source>
            <translation>Console Switchboard — %1</translation>
        </message>
        <message>
            <source>%1 agents (%2 connected) · %3 clients · %4 sessions</source>
            <translation>%1 agents (%2 connectés) · %3 clients · %4 sessions</translation>
        </message>
        <message>
            <source>Command %1 accepted by the server.</source>
            <translation>Commande %1 acceptée par le serveur.</translation>
        </message>
        <message numerus="yes">
            <source>Delivered to %n recipient(s).</source>
            <translation>
                <numerusform>Remis à %n destinataire.</numerusform>
                <numerusform>Remis à %n destinataires.</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::MetricsView</name>
        <message>
            <source>Connected agents</source>
            <translation>Agents connectés</translation>
        </message>
        <message>
            <source>Browser clients</source>
            <translation>Clients navigateur</translation>
        </message>
        <message>
            <source>Messages per second</source>
            <translation>Messages par seconde</translation>
        </message>
        <message>
            <source>Waiting for the server's metrics (sent to administrators only).</source>
            <translation>En attente des métriques du serveur (envoyées aux administrateurs uniquement).</translation>
        </message>
        <message>
            <source>Now: %1 agents, %2 browser clients, %3 messages per second.</source>
            <translation>Maintenant : %1 agents, %2 clients navigateur, %3 messages par seconde.</translation>
        </message>
        <message>
            <source>Now: %1 agents, %2 browser clients; messages per second from the next sample on.</source>
            <translation>Maintenant : %1 agents, %2 clients navigateur ; messages par seconde à partir de la prochaine mesure.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::OrgTreeModel</name>
        <message numerus="yes">
            <source>%n live session(s)</source>
            <translation>
                <numerusform>%n session active</numerusform>
                <numerusform>%n sessions actives</numerusform>
            </translation>
        </message>
        <message>
            <source>Organisation / user / session</source>
            <translation>Organisation / utilisateur / session</translation>
        </message>
        <message>
            <source>State</source>
            <translation>État</translation>
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
            <translation>Modèle</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::OrgsView</name>
        <message>
            <source>Filter organisations, users and sessions…</source>
            <translation>Filtrer les organisations, utilisateurs et sessions…</translation>
        </message>
        <message>
            <source>Open &amp;live log</source>
            <translation>Ouvrir le &amp;journal en direct</translation>
        </message>
        <message>
            <source>&amp;Stop session</source>
            <translation>&amp;Arrêter la session</translation>
        </message>
        <message>
            <source>&amp;Hibernate session</source>
            <translation>&amp;Mettre la session en veille</translation>
        </message>
        <message>
            <source>&amp;Wake session</source>
            <translation>&amp;Réveiller la session</translation>
        </message>
        <message>
            <source>&amp;Expand all</source>
            <translation>Tout &amp;développer</translation>
        </message>
        <message>
            <source>&amp;Collapse all</source>
            <translation>Tout &amp;réduire</translation>
        </message>
        <message>
            <source>Command sent for session %1.</source>
            <translation>Commande envoyée pour la session %1.</translation>
        </message>
        <message>
            <source>Session %1: %2</source>
            <translation>Session %1 : %2</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::SendCommandDialog</name>
        <message>
            <source>Start session</source>
            <translation>Démarrer la session</translation>
        </message>
        <message>
            <source>Stop session</source>
            <translation>Arrêter la session</translation>
        </message>
        <message>
            <source>Hibernate session</source>
            <translation>Mettre la session en veille</translation>
        </message>
        <message>
            <source>Wake session</source>
            <translation>Réveiller la session</translation>
        </message>
        <message>
            <source>Stream logs</source>
            <translation>Diffuser les journaux</translation>
        </message>
        <message>
            <source>Stop streaming logs</source>
            <translation>Arrêter la diffusion des journaux</translation>
        </message>
        <message>
            <source>Send command</source>
            <translation>Envoyer une commande</translation>
        </message>
        <message>
            <source>&amp;Send</source>
            <translation>&amp;Envoyer</translation>
        </message>
        <message>
            <source>&amp;Agent:</source>
            <translation>&amp;Agent :</translation>
        </message>
        <message>
            <source>A&amp;ction:</source>
            <translation>A&amp;ction :</translation>
        </message>
        <message>
            <source>&amp;Payload (JSON):</source>
            <translation>&amp;Charge utile (JSON) :</translation>
        </message>
        <message>
            <source>Invalid JSON at character %1: %2</source>
            <translation>JSON invalide au caractère %1 : %2</translation>
        </message>
        <message>
            <source>The payload must be a JSON object.</source>
            <translation>La charge utile doit être un objet JSON.</translation>
        </message>
        <message>
            <source>Choose an agent.</source>
            <translation>Choisissez un agent.</translation>
        </message>
        <message>
            <source>Valid payload.</source>
            <translation>Charge utile valide.</translation>
        </message>
        <message>
            <source>Sending…</source>
            <translation>Envoi…</translation>
        </message>
        <message>
            <source>The server refused the command: %1</source>
            <translation>Le serveur a refusé la commande : %1</translation>
        </message>
        <message>
            <source>The server did not answer in time.</source>
            <translation>Le serveur n’a pas répondu à temps.</translation>
        </message>
    </context>
    <context>
        <name>switchboard::console::Status</name>
        <message>
            <source>Online</source>
            <translation>En ligne</translation>
        </message>
        <message>
            <source>Draining</source>
            <translation>En vidange</translation>
        </message>
        <message>
            <source>Stale</source>
            <translation>Muet</translation>
        </message>
        <message>
            <source>Offline</source>
            <translation>Hors ligne</translation>
        </message>
        <message>
            <source>Pending approval</source>
            <translation>En attente d’approbation</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>Rejeté</translation>
        </message>
        <message>
            <source>Pending</source>
            <translation>En attente</translation>
        </message>
        <message>
            <source>Sent</source>
            <translation>Envoyée</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>Acquittée</translation>
        </message>
        <message>
            <source>Completed</source>
            <translation>Terminée</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>Échec</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Annulée</translation>
        </message>
        <message>
            <source>Running</source>
            <translation>En cours</translation>
        </message>
        <message>
            <source>Terminating</source>
            <translation>Arrêt en cours</translation>
        </message>
        <message>
            <source>Terminated</source>
            <translation>Arrêtée</translation>
        </message>
        <message>
            <source>Hibernating</source>
            <translation>Mise en veille</translation>
        </message>
        <message>
            <source>Hibernated</source>
            <translation>En veille</translation>
        </message>
        <message>
            <source>never</source>
            <translation>jamais</translation>
        </message>
        <message>
            <source>%1 s ago</source>
            <translation>il y a %1 s</translation>
        </message>
        <message>
            <source>%1 min ago</source>
            <translation>il y a %1 min</translation>
        </message>
        <message>
            <source>%1 h ago</source>
            <translation>il y a %1 h</translation>
        </message>
        <message>
            <source>%1 d ago</source>
            <translation>il y a %1 j</translation>
        </message>
    </context>
</TS>
